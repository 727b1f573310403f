using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Layers.Models;

/// <summary>
/// A small convnet for 28 x 28 grey images in the style of the KFC paper's experiments (Grosse and Martens 2016),
/// taking flat [N, 784] (or [N, 1, 28, 28]) images: conv 5x5 32 (padding 2) - relu - maxpool 2 - conv 5x5 64 (padding 2) - relu - maxpool 2 - dense 1024 - relu -
/// dense 10. With batch norm, a BatchNorm follows each conv layer and the hidden dense layer (before the relu;
/// the layers before it lose their now redundant biases); the 1024-feature one gets a diagonal Fisher block.
/// </summary>
public static class ConvNet
{
    /// <summary>The input image size (28 x 28) and the number of classes (10) of Fashion-MNIST.</summary>
    public const int Height = 28, Width = 28, Classes = 10;

    /// <summary>The network, initialised from <paramref name="seed"/>; <paramref name="batchNorm"/> adds the batch-norm layers,
    /// <paramref name="hidden"/> is the width of the hidden dense layer.</summary>
    public static Sequential Create(bool batchNorm = false, int seed = 0, DType dtype = DType.Float32, Device? device = null, int hidden = 1024)
    {
        var rng = new System.Random(seed);
        var net = new Sequential(new Unflatten(1, Height, Width));
        net.Add(new Conv2d(1, 32, 5, padding: 2, bias: !batchNorm, init: Initializer.HeNormal, rng: rng, dtype: dtype, device: device));
        if (batchNorm) net.Add(new BatchNorm(32, dtype: dtype, device: device));
        net.Add(new Relu());
        net.Add(new MaxPool2d(2));
        net.Add(new Conv2d(32, 64, 5, padding: 2, bias: !batchNorm, init: Initializer.HeNormal, rng: rng, dtype: dtype, device: device));
        if (batchNorm) net.Add(new BatchNorm(64, dtype: dtype, device: device));
        net.Add(new Relu());
        net.Add(new MaxPool2d(2));
        net.Add(new Flatten());
        net.Add(new Dense(64 * 7 * 7, hidden, bias: !batchNorm, init: Initializer.HeNormal, rng: rng, dtype: dtype, device: device));
        if (batchNorm) net.Add(new BatchNorm(hidden, blockKind: ParameterBlockKind.Diagonal, dtype: dtype, device: device));
        net.Add(new Relu());
        net.Add(new Dense(hidden, Classes, init: Initializer.GlorotUniform, rng: rng, dtype: dtype, device: device));
        return net;
    }
}

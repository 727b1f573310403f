using Kfac.Layers;
using Kfac.Tensors;

namespace Kfac.Examples.ConvNet;

/// <summary>
/// The KFC paper's style of small convnet for 28 x 28 grey images (Grosse and Martens 2016 use similar
/// nets on CIFAR): conv 5x5 32 (padding 2) - relu - maxpool 2 - conv 5x5 64 (padding 2) - relu - maxpool 2
/// - dense 1024 - relu - dense 10. With batch norm, a BatchNorm follows each conv and the hidden dense
/// layer (before the relu). Shared by the example and Kfac.Bench's convstep command.
/// </summary>
public static class ConvNetModel
{
    public const int Height = 28, Width = 28, Classes = 10;

    public static Sequential Build(bool batchNorm, int seed, DType dtype = DType.Float32)
    {
        var rng = new System.Random(seed);
        var net = new Sequential();
        net.Add(new Conv2d(1, 32, 5, padding: 2, bias: !batchNorm, init: Initializer.HeNormal, rng: rng, dtype: dtype));
        if (batchNorm) net.Add(new BatchNorm(32, dtype: dtype));
        net.Add(new Relu());
        net.Add(new MaxPool2d(2));
        net.Add(new Conv2d(32, 64, 5, padding: 2, bias: !batchNorm, init: Initializer.HeNormal, rng: rng, dtype: dtype));
        if (batchNorm) net.Add(new BatchNorm(64, dtype: dtype));
        net.Add(new Relu());
        net.Add(new MaxPool2d(2));
        net.Add(new Flatten());
        net.Add(new Dense(64 * 7 * 7, 1024, bias: !batchNorm, init: Initializer.HeNormal, rng: rng, dtype: dtype));
        if (batchNorm) net.Add(new BatchNorm(1024, blockKind: Kfac.Curvature.ParameterBlockKind.Diagonal, dtype: dtype));
        net.Add(new Relu());
        net.Add(new Dense(1024, Classes, init: Initializer.GlorotUniform, rng: rng, dtype: dtype));
        return net;
    }

    /// <summary>Multiply-add FLOPs (2 per multiply-add) of the GEMMs in one forward and backward pass at batch
    /// <paramref name="batch"/>: forward, weight gradient, and input gradient for every layer but the first.</summary>
    public static double GemmFlops(int batch)
    {
        // (rows, inner, outputs) of each layer's forward GEMM: conv rows are batch * locations.
        (double Rows, double Inner, double Outputs, bool InputGradient)[] layers =
        [
            (batch * 28.0 * 28, 1 * 25, 32, false),
            (batch * 14.0 * 14, 32 * 25, 64, true),
            (batch, 64 * 7 * 7, 1024, true),
            (batch, 1024, Classes, true),
        ];
        return layers.Sum(l => 2 * l.Rows * l.Inner * l.Outputs * (l.InputGradient ? 3 : 2));
    }
}

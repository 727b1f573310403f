using Kfac.Tensors;

namespace Kfac.Layers.Models;

/// <summary>A multilayer perceptron: Dense layers with one activation between them, none after the last.</summary>
public static class Mlp
{
    /// <summary>Dense layers of widths <paramref name="sizes"/> (input first) with <paramref name="hidden"/> between them,
    /// initialised from <paramref name="seed"/> with <paramref name="init"/> (Glorot uniform by default).</summary>
    public static Sequential Create(int[] sizes, Activation hidden = Activation.Relu, int seed = 0, Initializer? init = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length < 2) throw new ArgumentException("an MLP needs at least an input and an output size", nameof(sizes));
        init ??= hidden == Activation.Relu ? Initializer.HeNormal : Initializer.GlorotUniform;
        var rng = new System.Random(seed);
        var net = new Sequential();
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            net.Add(new Dense(sizes[i], sizes[i + 1], bias: true, init, rng, dtype, device));
            if (i + 2 < sizes.Length) net.Add(Activations.Create(hidden));
        }
        return net;
    }
}

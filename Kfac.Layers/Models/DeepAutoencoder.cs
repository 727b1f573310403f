using Kfac.Tensors;

namespace Kfac.Layers.Models;

/// <summary>
/// The deep autoencoder of Hinton &amp; Salakhutdinov 2006 used in the K-FAC paper (Martens &amp; Grosse 2015, section
/// 13): encoder 784-1000-500-250-30 and the mirrored decoder, logistic hidden units, a linear code layer, and
/// output logits for a Bernoulli (sigmoid cross-entropy) loss. Weights use the sparse initialisation (15
/// nonzero N(0, 1) incoming weights per unit, zero biases): from dense initialisations every optimizer stalls
/// at the mean image.
/// </summary>
public static class DeepAutoencoder
{
    /// <summary>The paper's encoder widths 784-1000-500-250-30 (the decoder mirrors them).</summary>
    public static readonly int[] PaperEncoder = [784, 1000, 500, 250, 30];

    /// <summary>The autoencoder with <paramref name="encoder"/> widths (default <see cref="PaperEncoder"/>), initialised from
    /// <paramref name="seed"/> with <paramref name="init"/> (default the sparse initialisation).</summary>
    public static Sequential Create(int[]? encoder = null, int seed = 0, DType dtype = DType.Float32, Device? device = null, Initializer? init = null)
    {
        encoder ??= PaperEncoder;
        if (encoder.Length < 2) throw new ArgumentException("an autoencoder needs an input size and at least one code size", nameof(encoder));
        var sizes = encoder.Concat(encoder.Reverse().Skip(1)).ToArray();
        int codeLayer = encoder.Length - 2;
        init ??= Initializer.Sparse(15);
        var rng = new System.Random(seed);
        var net = new Sequential();
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            net.Add(new Dense(sizes[i], sizes[i + 1], bias: true, init, rng, dtype, device));
            bool output = i + 2 == sizes.Length;
            if (!output && i != codeLayer) net.Add(new Sigmoid());
        }
        return net;
    }

    /// <summary>Multiply-adds of one forward pass per example (weights only): the FLOP count of a step is
    /// about 6x this per example (forward, and two GEMMs in backward).</summary>
    public static long MultiplyAdds(int[]? encoder = null)
    {
        encoder ??= PaperEncoder;
        var sizes = encoder.Concat(encoder.Reverse().Skip(1)).ToArray();
        long s = 0;
        for (int i = 0; i + 1 < sizes.Length; i++) s += (long)sizes[i] * sizes[i + 1];
        return s;
    }
}

using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>The MVG posterior of a network: one independent <see cref="MatrixVariateLayer"/> per dense layer
/// (block-diagonal across layers, as K-FAC), prior N(0, eta I). Parameters are ordered layer by layer as the tags'
/// (W, b).</summary>
public sealed class MatrixVariatePosterior : IWeightPosterior
{
    /// <summary>One <see cref="MatrixVariateLayer"/> per tag (at least one) with prior N(0, <paramref name="priorVariance"/> I).</summary>
    public MatrixVariatePosterior(IReadOnlyList<DenseTag> tags, double priorVariance)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count == 0) throw new ArgumentException("no dense layers", nameof(tags));
        GaussianKl.CheckEta(priorVariance);
        PriorVariance = priorVariance;
        Layers = tags.Select(t => new MatrixVariateLayer(t)).ToArray();
        Parameters = tags.SelectMany(t => t.Parameters).ToArray();
    }

    /// <summary>The per-layer posteriors, in tag order.</summary>
    public IReadOnlyList<MatrixVariateLayer> Layers { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <inheritdoc/>
    public double PriorVariance { get; }

    /// <summary>Samples each layer independently: W = M + sqrt(c) R_V E R_U^T (see <see cref="MatrixVariateLayer"/>).</summary>
    public void Sample(System.Random rng, double[][] into)
    {
        ArgumentNullException.ThrowIfNull(into);
        int k = 0;
        foreach (var layer in Layers)
        {
            var w = into[k++];
            var b = layer.Tag.HasBias ? into[k++] : null;
            layer.Sample(rng, w, b);
        }
    }

    /// <summary>All samples of each layer in one batched draw (<see cref="MatrixVariateLayer.Sample(System.Random, int, double[], double[])"/>:
    /// two GEMMs per layer for all of them), then scattered into <paramref name="into"/>[k].</summary>
    public void SampleMany(System.Random rng, double[][][] into)
    {
        ArgumentNullException.ThrowIfNull(into);
        int count = into.Length;
        if (count == 0) return;
        for (int k = 0; k < count; k++)
            if (into[k] is null || into[k].Length != Parameters.Count)
                throw new ArgumentException($"sample {k} has {into[k]?.Length} buffers; the posterior has {Parameters.Count} parameters", nameof(into));
        int first = 0;
        for (int l = 0; l < Layers.Count; l++)
        {
            var layer = Layers[l];
            int weightSize = layer.Q * layer.Tag.InFeatures;
            var weights = Batch(ref _weights, l, count * weightSize);
            var biases = layer.Tag.HasBias ? Batch(ref _biases, l, count * layer.Q) : null;
            layer.Sample(rng, count, weights, biases);
            for (int k = 0; k < count; k++)
            {
                weights.AsSpan(k * weightSize, weightSize).CopyTo(into[k][first]);
                if (biases is not null) biases.AsSpan(k * layer.Q, layer.Q).CopyTo(into[k][first + 1]);
            }
            first += layer.Tag.HasBias ? 2 : 1;
        }
    }

    private double[][]? _weights, _biases; // per layer, the batched draw's buffers (grown to the largest count seen)

    private double[] Batch(ref double[][]? buffers, int layer, int size)
    {
        buffers ??= new double[Layers.Count][];
        if (buffers[layer] is null || buffers[layer].Length < size) buffers[layer] = new double[size];
        return buffers[layer];
    }

    /// <summary>Sum over layers of KL(MN(M, c U (x) V)</summary>
    /// N(0, eta I)).
    public double KlToPrior() => Layers.Sum(l => l.KlToPrior(PriorVariance));
}

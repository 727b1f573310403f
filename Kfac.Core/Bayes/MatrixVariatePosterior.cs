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

    /// <summary>Samples each layer independently: W = M + sqrt(c) V^(1/2) E U^(1/2).</summary>
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

    /// <summary>Sum over layers of KL(MN(M, c U (x) V)</summary>
    /// N(0, eta I)).
    public double KlToPrior() => Layers.Sum(l => l.KlToPrior(PriorVariance));
}

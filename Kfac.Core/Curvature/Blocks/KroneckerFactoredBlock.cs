using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// K-FAC's block for a dense layer (Martens &amp; Grosse 2015, section 3): F_l ~= A_{l-1} (x) G_l with
/// A = E[abar abar^T] (abar = [x; 1], the homogeneous coordinate carrying the bias) and G = E[g g^T]
/// (g = dL/ds per example). With column-stacking vec and the parameter matrix [W | b] of shape
/// [out, in + 1], (A (x) G) vec(V) = vec(G V A) and the preconditioned gradient is
/// (G + gamma/pi I)^-1 [dW | db] (A + pi gamma I)^-1 (factored Tikhonov damping, section 6.3).
/// Only the statistics are here (<see cref="DenseFactorStatistics"/>); damping, inverses, products and state are
/// the <see cref="KroneckerBlock"/>'s.
/// </summary>
public sealed class KroneckerFactoredBlock : KroneckerBlock
{
    private readonly DenseTag _tag;

    /// <summary>A K-FAC block for the dense layer <paramref name="tag"/> with the given damping style.</summary>
    public KroneckerFactoredBlock(DenseTag tag, DampingStyle damping = DampingStyle.FactoredTikhonov) : base(tag, damping)
    {
        _tag = tag;
    }

    /// <inheritdoc/>
    protected override string Kind => "KroneckerFactored";

    /// <summary>in + 1 with a bias, in without.</summary>
    protected override int InputDim => _tag.InputDim;

    /// <summary>out.</summary>
    protected override int OutputDim => _tag.OutFeatures;

    /// <summary>in.</summary>
    protected override int WeightColumns => _tag.InFeatures;

    /// <summary>A = EMA of E[abar abar^T] and G = EMA of E[g g^T], g = m dL/ds per example (Martens and Grosse 2015, section 3).</summary>
    protected override void AccumulateFactors(LayerCapture capture, double eps, Tensor a, Tensor g) =>
        DenseFactorStatistics.Accumulate(_tag, capture, eps, a, g, lowerOnly: true);
}

using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// A dense layer s = x W^T + b, W [out, in], b [out] optional. In K-FAC's notation abar = [x; 1] (the
/// homogeneous coordinate carries the bias), and the block's parameter matrix is [W | b] of shape
/// [out, in + 1].
/// </summary>
public sealed class DenseTag(Func<Tensor> weight, Func<Tensor?> bias, int inFeatures, int outFeatures) : LayerTag
{
    /// <summary>W, the weight [out, in].</summary>
    public Tensor Weight => weight();

    /// <summary>b, the bias [out], or null when the layer has none.</summary>
    public Tensor? Bias => bias();

    /// <summary>in, the input features.</summary>
    public int InFeatures { get; } = inFeatures;

    /// <summary>out, the output features.</summary>
    public int OutFeatures { get; } = outFeatures;

    /// <summary>Whether the layer has a bias (the homogeneous coordinate 1 in abar).</summary>
    public bool HasBias => Bias is not null;

    /// <summary>Dimension of the input factor A: in + 1 with a bias, in without.</summary>
    public int InputDim => InFeatures + (HasBias ? 1 : 0);

    /// <summary>[W] or [W, b].</summary>
    public override IReadOnlyList<Tensor> Parameters => Bias is { } b ? [Weight, b] : [Weight];

    /// <summary>"Dense(in -> out)".</summary>
    public override string Description => $"Dense({InFeatures} -> {OutFeatures})";

    /// <summary>Kronecker-factored A (x) G (Martens &amp; Grosse 2015, section 3).</summary>
    public override CurvatureBlock CreateBlock(DampingStyle damping) => new KroneckerFactoredBlock(this, damping);
}

using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// What a trainable layer declares to the curvature machinery (kfac-jax's register_dense idea): the kind
/// of layer and its parameters. Each layer owns one tag; when a <see cref="CurvatureRecorder"/> is active
/// the layer records the tag with its input and output on every forward pass, and a table maps the tag
/// kind to a curvature block.
/// </summary>
public abstract class LayerTag
{
    /// <summary>The parameters the tag's block covers, in a fixed order.</summary>
    public abstract IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>A readable name for logs and errors (e.g. "Dense(784 -> 1000)").</summary>
    public abstract string Description { get; }

    /// <summary>
    /// The block-diagonal curvature block for this layer: the open end of K-FAC's tag-to-block table. A new
    /// K-FAC-aware layer is a layer that records its tag, a tag that overrides this, and a block; nothing in the
    /// optimizer changes. The default serves tags that provide per-example gradients (<see cref="IPerExampleGradients"/>:
    /// a full or diagonal block over their few parameters).
    /// </summary>
    public virtual CurvatureBlock CreateBlock(DampingStyle damping) => this switch
    {
        IPerExampleGradients { BlockKind: ParameterBlockKind.Diagonal } => new DiagonalBlock(this),
        IPerExampleGradients => new FullBlock(this),
        _ => throw new NotSupportedException($"{Description} ({GetType().Name}) has no curvature block: override LayerTag.CreateBlock or implement IPerExampleGradients"),
    };

    /// <summary>The tag's <see cref="Description"/>.</summary>
    public override string ToString() => Description;
}

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

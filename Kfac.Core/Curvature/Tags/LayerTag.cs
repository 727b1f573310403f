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

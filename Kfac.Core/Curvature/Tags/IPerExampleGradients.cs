using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>Which dense block a small parameter set gets.</summary>
public enum ParameterBlockKind
{
    /// <summary>The full P x P Fisher block from per-example gradients (<see cref="FullBlock"/>).</summary>
    Full,
    /// <summary>Only its diagonal (<see cref="DiagonalBlock"/>).</summary>
    Diagonal,
}

/// <summary>
/// A layer tag whose parameters are few enough for a dense Fisher block, and which can produce the
/// per-example gradients that block is built from. The parameter vector is <see cref="LayerTag.Parameters"/>
/// flattened in order, each row-major (the order of <see cref="ExactCurvature"/>).
/// </summary>
public interface IPerExampleGradients
{
    /// <summary>P, the total number of parameters covered.</summary>
    int ParameterCount { get; }

    /// <summary>The block the K-FAC optimizer builds for this tag.</summary>
    ParameterBlockKind BlockKind { get; }

    /// <summary>
    /// Writes u_i = dL_i/dtheta for every example i of the capture into row i of <paramref name="result"/>
    /// [m, P], for the backward pass whose output gradient (of the batch-MEAN loss, as captured) is
    /// <paramref name="outputGradient"/>: u_i is m times the gradient of the mean loss restricted to example i.
    /// </summary>
    void PerExampleGradients(LayerCapture capture, Tensor outputGradient, Tensor result);
}

/// <summary>The check both dense parameter blocks make of their tag.</summary>
internal static class PerExampleGradientSource
{
    /// <summary><paramref name="tag"/> as a per-example gradient source, or an ArgumentException naming it.</summary>
    public static IPerExampleGradients Of(LayerTag tag) =>
        tag as IPerExampleGradients
        ?? throw new ArgumentException($"{tag} does not provide per-example gradients (IPerExampleGradients)", nameof(tag));
}

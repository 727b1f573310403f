using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>[n, ...] to [n, shape...] (a view), e.g. flat [n, 784] images to [n, 1, 28, 28] for a convolution;
/// the inverse of <see cref="Flatten"/>.</summary>
public sealed class Unflatten : Module
{
    private readonly int[] _shape;

    /// <summary>Reshapes each example to <paramref name="shape"/> (positive dimensions).</summary>
    public Unflatten(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentOutOfRangeException(nameof(shape), $"Unflatten needs positive dimensions, got [{string.Join(", ", shape)}]");
        _shape = (int[])shape.Clone();
    }

    /// <summary>The per-example output shape (without the batch dimension).</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int per = _shape.Aggregate(1, (p, d) => p * d);
        if (input.Rank < 1 || input.Numel != input.Shape[0] * per)
            throw new ShapeMismatchException($"{this}: input has shape {input.Shape}, which does not hold {per} elements per example", nameof(input));
        return input.Reshape([input.Shape[0], .. _shape]);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Unflatten([{string.Join(", ", _shape)}])";
}

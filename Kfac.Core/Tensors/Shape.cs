using System.Collections;

namespace Kfac.Tensors;

/// <summary>
/// The dimensions of a tensor, outermost first (row-major / C order: the last dimension is contiguous).
/// Immutable; a rank-0 shape is a scalar with one element.
/// </summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    /// <summary>A shape with the given dimensions (copied). Throws <see cref="ArgumentOutOfRangeException"/> if a dimension is negative or the element count exceeds int.MaxValue.</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long n = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(dims), $"dimension {i} of shape {Format(dims)} is negative");
            n *= dims[i];
            if (n > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(dims), $"shape {Format(dims)} has more than {int.MaxValue} elements");
        }
        _dims = (int[])dims.Clone();
    }

    /// <summary>The rank-0 shape [] of a scalar (one element).</summary>
    public static Shape Scalar => new([]);

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>Same as <see cref="Rank"/> (the <see cref="IReadOnlyCollection{T}"/> count of dimensions).</summary>
    public int Count => Rank;

    /// <summary>Number of elements (product of the dimensions; 1 for a scalar).</summary>
    public int Numel
    {
        get
        {
            int n = 1;
            if (_dims is not null) foreach (int d in _dims) n *= d;
            return n;
        }
    }

    /// <summary>Dimension i; negative i counts from the end (-1 is the last).</summary>
    public int this[int i]
    {
        get
        {
            int r = Rank;
            int j = i < 0 ? i + r : i;
            if ((uint)j >= (uint)r)
                throw new ArgumentOutOfRangeException(nameof(i), $"axis {i} is out of range for shape {this}");
            return _dims![j];
        }
    }

    /// <summary>Normalises a possibly negative axis into [0, Rank).</summary>
    public int Axis(int axis, string argumentName = "axis")
    {
        int j = axis < 0 ? axis + Rank : axis;
        if ((uint)j >= (uint)Rank)
            throw new ArgumentOutOfRangeException(argumentName, $"axis {axis} is out of range for shape {this}");
        return j;
    }

    /// <summary>Product of the dimensions in [from, to).</summary>
    public int Product(int from, int to)
    {
        int p = 1;
        for (int i = from; i < to; i++) p *= _dims![i];
        return p;
    }

    /// <summary>A fresh copy of the dimensions, outermost first.</summary>
    public int[] ToArray() => _dims is null ? [] : (int[])_dims.Clone();

    /// <summary>This shape with dimension <paramref name="axis"/> (negative counts from the end) replaced by <paramref name="size"/>.</summary>
    public Shape With(int axis, int size)
    {
        var d = ToArray();
        d[Axis(axis)] = size;
        return new Shape(d);
    }

    /// <summary>True when both shapes have the same rank and the same dimensions.</summary>
    public bool Equals(Shape other)
    {
        if (Rank != other.Rank) return false;
        for (int i = 0; i < Rank; i++)
            if (_dims![i] != other._dims![i]) return false;
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        for (int i = 0; i < Rank; i++) h.Add(_dims![i]);
        return h.ToHashCode();
    }

    /// <summary>True when the shapes have the same dimensions.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>True when the shapes differ in rank or in some dimension.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>The dimensions as "[d0, d1, ...]" ("[]" for a scalar).</summary>
    public override string ToString() => Format(_dims ?? []);

    private static string Format(int[] dims) => "[" + string.Join(", ", dims) + "]";

    /// <summary>Enumerates the dimensions, outermost first.</summary>
    public IEnumerator<int> GetEnumerator()
    {
        for (int i = 0; i < Rank; i++) yield return _dims![i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Converts an array of dimensions to a shape (same checks as the constructor).</summary>
    public static implicit operator Shape(int[] dims) => new(dims);
}

using System.Numerics;

namespace Kfac.Linalg;

/// <summary>Argument validation shared by the Linalg entry points; every message names the argument and the sizes.</summary>
internal static class MatrixChecks
{
    /// <summary>Resolves a leading dimension (0 means "packed", i.e. <paramref name="cols"/>) and checks that
    /// <paramref name="length"/> holds a rows x cols row-major matrix with that row stride.</summary>
    public static int LeadingDimension(int length, int rows, int cols, int ld, string name)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(name, $"'{name}' has negative size {rows}x{cols}.");
        if (ld == 0) ld = Math.Max(cols, 1);
        if (ld < cols)
            throw new ArgumentOutOfRangeException(name, $"'{name}' leading dimension {ld} is smaller than its column count {cols}.");
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException(
                $"'{name}' must hold a {rows}x{cols} row-major matrix with leading dimension {ld} ({needed} elements), but has {length}.", name);
        return ld;
    }

    public static void Square(int length, int n, string name)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(name, $"'{name}' has negative order {n}.");
        if (length != (long)n * n)
            throw new ArgumentException($"'{name}' must hold an {n}x{n} matrix ({(long)n * n} elements), but has {length}.", name);
    }

    public static void Length(int length, int expected, string name, string shape)
    {
        if (length != expected)
            throw new ArgumentException($"'{name}' must have {expected} elements ({shape}), but has {length}.", name);
    }

    /// <summary>Throws <see cref="NonFiniteMatrixException"/> at the first NaN/Inf of the rows x cols matrix;
    /// with <paramref name="lowerOnly"/> only the lower triangle (including the diagonal) is scanned.</summary>
    public static void Finite<T>(ReadOnlySpan<T> a, int rows, int cols, int ld, string name, bool lowerOnly = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            var row = a.Slice(i * ld, lowerOnly ? Math.Min(i + 1, cols) : cols);
            if (System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(row)) continue; // SIMD; locate only on failure
            for (int j = 0; j < row.Length; j++)
                if (!T.IsFinite(row[j]))
                    throw new NonFiniteMatrixException(name, i * ld + j, i, j, double.CreateTruncating(row[j]));
        }
    }
}

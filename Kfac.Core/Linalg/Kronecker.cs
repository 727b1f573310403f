using System.Buffers;
using System.Numerics;

namespace Kfac.Linalg;

/// <summary>
/// Kronecker-product identities with the MATH.md conventions, without forming A (x) B except in
/// <see cref="Product{T}"/> (tests and tiny matrices).
///
/// Conventions. (A (x) B)[i*p + k, j*q + l] = A[i, j] B[k, l] for B of size p x q. vec stacks COLUMNS:
/// vec(X)[i + j*rows] = X[i, j]. Then (A (x) B) vec(X) = vec(B X A^T) and (A (x) B)^-1 = A^-1 (x) B^-1.
///
/// Row-major storage. The flat row-major array of a matrix X is rowvec(X) = vec(X^T), and
/// rowvec(B X A^T) = vec(A X^T B^T) = (B (x) A) rowvec(X): in the flat memory of row-major matrices the
/// same operator is B (x) A (factors swapped). The functions here take and return X and Y as row-major
/// MATRICES, so the formula Y = B X A^T holds whatever the flattening.
///
/// K-FAC (Martens &amp; Grosse 2015, section 3): for a dense layer with W (out x in) and column-stacked
/// vec(W), F ~= Abar (x) G with Abar the input-side (in x in) and G the output-side (out x out) factor, so
/// the preconditioned gradient is (Abar (x) G)^-1 vec(dW) = vec(G^-1 dW Abar^-1):
/// <c>InverseMatVec(aInverse: Abar^-1, bInverse: G^-1, x: dW)</c> with dW passed as the row-major out x in matrix.
/// </summary>
public static class Kronecker
{
    /// <summary>result = A (x) B, (aRows bRows) x (aCols bCols), row-major.</summary>
    public static void Product<T>(ReadOnlySpan<T> a, int aRows, int aCols, ReadOnlySpan<T> b, int bRows, int bCols, Span<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixChecks.Length(a.Length, aRows * aCols, nameof(a), $"{aRows}x{aCols}");
        MatrixChecks.Length(b.Length, bRows * bCols, nameof(b), $"{bRows}x{bCols}");
        int cols = aCols * bCols;
        MatrixChecks.Length(result.Length, aRows * bRows * cols, nameof(result), $"{aRows * bRows}x{cols}");
        for (int i = 0; i < aRows; i++)
            for (int k = 0; k < bRows; k++)
            {
                var row = result.Slice((i * bRows + k) * cols, cols);
                for (int j = 0; j < aCols; j++)
                {
                    T aij = a[i * aCols + j];
                    for (int l = 0; l < bCols; l++) row[j * bCols + l] = aij * b[k * bCols + l];
                }
            }
    }

    /// <summary>vec(X): stacks the columns of the row-major rows x cols matrix X, vec[i + j*rows] = X[i, j].</summary>
    public static void Vec<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> vec)
    {
        MatrixChecks.Length(x.Length, rows * cols, nameof(x), $"{rows}x{cols}");
        MatrixChecks.Length(vec.Length, rows * cols, nameof(vec), $"vec of a {rows}x{cols} matrix");
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) vec[i + j * rows] = x[i * cols + j];
    }

    /// <summary>The inverse of <see cref="Vec{T}"/>: X[i, j] = vec[i + j*rows].</summary>
    public static void Unvec<T>(ReadOnlySpan<T> vec, int rows, int cols, Span<T> x)
    {
        MatrixChecks.Length(vec.Length, rows * cols, nameof(vec), $"vec of a {rows}x{cols} matrix");
        MatrixChecks.Length(x.Length, rows * cols, nameof(x), $"{rows}x{cols}");
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) x[i * cols + j] = vec[i + j * rows];
    }

    /// <summary>
    /// Y = B X A^T, i.e. vec(Y) = (A (x) B) vec(X), in two GEMMs (never forming the product):
    /// A is aRows x aCols, B is bRows x bCols, X is bCols x aCols and Y is bRows x aRows (all row-major).
    /// <paramref name="y"/> may be the same span as <paramref name="x"/> but must not overlap A or B.
    /// </summary>
    public static void MatVec<T>(ReadOnlySpan<T> a, int aRows, int aCols, ReadOnlySpan<T> b, int bRows, int bCols,
        ReadOnlySpan<T> x, Span<T> y, int maxThreads = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixChecks.Length(a.Length, aRows * aCols, nameof(a), $"{aRows}x{aCols}");
        MatrixChecks.Length(b.Length, bRows * bCols, nameof(b), $"{bRows}x{bCols}");
        MatrixChecks.Length(x.Length, bCols * aCols, nameof(x), $"{bCols}x{aCols}: columns of B by columns of A");
        MatrixChecks.Length(y.Length, bRows * aRows, nameof(y), $"{bRows}x{aRows}: rows of B by rows of A");
        if (y.IsEmpty) return;
        // Order the two products to minimise flops: (B X) A^T or B (X A^T).
        long bFirst = (long)bRows * aCols * (bCols + aRows), aFirst = (long)bCols * aRows * (aCols + bRows);
        bool multiplyBFirst = bFirst <= aFirst;
        int tRows = multiplyBFirst ? bRows : bCols, tCols = multiplyBFirst ? aCols : aRows;
        T[] buffer = ArrayPool<T>.Shared.Rent(Math.Max(1, tRows * tCols));
        try
        {
            var t = buffer.AsSpan(0, tRows * tCols);
            if (multiplyBFirst)
            {
                Blas.Gemm(false, false, bRows, aCols, bCols, T.One, b, bCols, x, aCols, T.Zero, t, aCols, maxThreads);
                Blas.Gemm(false, true, bRows, aRows, aCols, T.One, t, aCols, a, aCols, T.Zero, y, aRows, maxThreads);
            }
            else
            {
                Blas.Gemm(false, true, bCols, aRows, aCols, T.One, x, aCols, a, aCols, T.Zero, t, aRows, maxThreads);
                Blas.Gemm(false, false, bRows, aRows, bCols, T.One, b, bCols, t, aRows, T.Zero, y, aRows, maxThreads);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Y = B^-1 X A^-T, i.e. vec(Y) = (A (x) B)^-1 vec(X) = (A^-1 (x) B^-1) vec(X), from the two factors' inverses
    /// (na x na and nb x nb; for the symmetric K-FAC factors A^-T = A^-1). X and Y are nb x na.
    /// </summary>
    public static void InverseMatVec<T>(ReadOnlySpan<T> aInverse, int na, ReadOnlySpan<T> bInverse, int nb,
        ReadOnlySpan<T> x, Span<T> y, int maxThreads = 0)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        MatVec(aInverse, na, na, bInverse, nb, nb, x, y, maxThreads);

    /// <summary>
    /// Solves (A (x) B) vec(Y) = vec(X) for SPD A (na x na) and B (nb x nb) by Cholesky, without inverses:
    /// Y = B^-1 X A^-1 (X, Y nb x na; <paramref name="y"/> may be the same span as <paramref name="x"/>).
    /// </summary>
    public static void SolveSpd<T>(ReadOnlySpan<T> a, int na, ReadOnlySpan<T> b, int nb, ReadOnlySpan<T> x, Span<T> y,
        int maxThreads = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixChecks.Square(a.Length, na, nameof(a));
        MatrixChecks.Square(b.Length, nb, nameof(b));
        MatrixChecks.Length(x.Length, nb * na, nameof(x), $"{nb}x{na}");
        MatrixChecks.Length(y.Length, nb * na, nameof(y), $"{nb}x{na}");
        T[] buffer = ArrayPool<T>.Shared.Rent(Math.Max(1, nb * na));
        try
        {
            // Z = B^-1 X (nb x na), then Y = Z A^-1 = (A^-1 Z^T)^T since A is symmetric.
            var z = buffer.AsSpan(0, nb * na);
            x.CopyTo(z);
            Spd.Solve(b, nb, z, na, maxThreads);
            var zt = new T[na * nb];
            for (int i = 0; i < nb; i++)
                for (int j = 0; j < na; j++) zt[j * nb + i] = z[i * na + j];
            Spd.Solve<T>(a, na, zt, nb, maxThreads);
            for (int i = 0; i < nb; i++)
                for (int j = 0; j < na; j++) y[i * na + j] = zt[j * nb + i];
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }
}

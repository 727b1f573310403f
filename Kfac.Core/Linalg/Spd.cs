using System.Buffers;
using System.Numerics;

namespace Kfac.Linalg;

/// <summary>
/// Solves and inverses for symmetric positive definite matrices through the Cholesky factor
/// (LAPACK dposv, dpotri). Only the lower triangle of A is read. No symmetrisation, finiteness repair or
/// damping here: see <see cref="GuardedSpdInverse"/> for the K-FAC factor inverse with guards.
/// </summary>
public static class Spd
{
    /// <summary>Solves A X = B, A n x n SPD, B n x nrhs (overwritten by X). A is not modified.</summary>
    public static void Solve<T>(ReadOnlySpan<T> a, int n, Span<T> b, int nrhs, int maxThreads = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixChecks.Square(a.Length, n, nameof(a));
        MatrixChecks.Length(b.Length, n * nrhs, nameof(b), $"{n}x{nrhs}");
        T[] work = ArrayPool<T>.Shared.Rent(n * n);
        try
        {
            var l = work.AsSpan(0, n * n);
            a.CopyTo(l);
            Cholesky.Factor(l, n, n, maxThreads);
            Cholesky.Solve<T>(l, n, b, nrhs, n, nrhs, maxThreads);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(work);
        }
    }

    /// <summary>
    /// A^-1 of an n x n SPD matrix into <paramref name="inverse"/> (which may be the same span as
    /// <paramref name="a"/>). The result is exactly symmetric: its upper triangle is a copy of the lower.
    /// A = L L^T, W = L^-1 (blocked trtri), A^-1 = W^T W accumulated as sum over block rows K of W of
    /// W_K^T W_K restricted to the columns where W_K is nonzero (a blocked dlauum through SYRK: n^3/3 flops).
    /// Total about n^3 flops, nearly all in SYRK/GEMM.
    /// </summary>
    public static void Inverse<T>(ReadOnlySpan<T> a, int n, Span<T> inverse, int maxThreads = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixChecks.Square(a.Length, n, nameof(a));
        MatrixChecks.Square(inverse.Length, n, nameof(inverse));
        T[] work = ArrayPool<T>.Shared.Rent(n * n);
        try
        {
            var l = work.AsSpan(0, n * n);
            a.CopyTo(l);
            Cholesky.Factor(l, n, n, maxThreads);
            InverseFromFactor(l, n, inverse, maxThreads);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(work);
        }
    }

    /// <summary>Block of the L^-T L^-1 product (its SYRKs' inner dimension); the triangular inverse picks its own
    /// (<see cref="TriangularInverse.BlockFor"/>).</summary>
    internal const int InverseBlockSize = 128;

    /// <summary>A^-1 = L^-T L^-1 from the Cholesky factor; <paramref name="l"/> is overwritten with L^-1
    /// (it must have a zero strict upper triangle, as <see cref="Cholesky.Factor{T}(Span{T}, int, int, int)"/> leaves it).</summary>
    internal static void InverseFromFactor<T>(Span<T> l, int n, Span<T> inverse, int maxThreads, int blockSize = InverseBlockSize, int trtriBlock = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        TriangularInverse.InvertLower(l, n, n, maxThreads, trtriBlock > 0 ? trtriBlock : TriangularInverse.BlockFor(maxThreads));
        int nb = Math.Min(Math.Max(1, blockSize), n);
        // Block row K of W (rows k..k+kb) is zero beyond column k+kb, so it adds W_K^T W_K to the leading
        // (k+kb) x (k+kb) corner. Go from the last block row (which covers the whole matrix) up, so the first
        // SYRK initialises every entry (beta = 0) and the later ones accumulate.
        int last = (n - 1) / nb * nb;
        for (int k = last; k >= 0; k -= nb)
        {
            int kb = Math.Min(nb, n - k), width = k + kb;
            Blas.Syrk(kb, width, T.One, l.Slice(k * n), n, k == last ? T.Zero : T.One, inverse, n, maxThreads);
        }
        MirrorLowerToUpper(inverse, n);
    }

    /// <summary>Side of the square blocks in which transposing loops walk a matrix (cache-friendly both ways).</summary>
    internal const int Tile = 32;

    /// <summary>Copies the strict lower triangle onto the upper one: the result is exactly symmetric. 32-row blocks
    /// with SIMD block transposes left of the diagonal (<see cref="Kfac.Cpu.Blas.GemmRunner.MirrorBlock{T}"/>).</summary>
    internal static unsafe void MirrorLowerToUpper<T>(Span<T> a, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        fixed (T* p = a) Kfac.Cpu.Blas.GemmRunner.MirrorBlock(p, n, 0, n, 0, n);
    }
}

using System.Buffers;
using System.Numerics;

namespace Kfac.Linalg;

/// <summary>
/// Cholesky factorisation A = L L^T of a symmetric positive definite matrix (LAPACK dpotrf / spotrf, lower).
/// Row-major, in place; only the lower triangle of A is read, and on return it holds L while the strict upper
/// triangle is set to zero (so the span is exactly L). Blocked right-looking (Golub &amp; Van Loan, 4th ed.,
/// section 4.2.9): for each block column of width nb, (1) unblocked factor of the diagonal block,
/// (2) panel solve L21 = A21 L11^-T (itself blocked, mostly GEMM), (3) trailing update A22 -= L21 L21^T with SYRK; step (3) carries
/// n^3/3 of the n^3/3 + O(n^2 nb) flops, so the speed is the SYRK kernel's.
/// </summary>
public static class Cholesky
{
    /// <summary>Block width nb: the panel work is O(n^2 nb), the SYRK work O(n^3); with the panel itself mostly
    /// GEMM, 256 measured fastest at n = 2048 (SYRK with inner dimension 256 runs closer to GEMM speed).</summary>
    public const int DefaultBlockSize = 256;

    /// <summary>Inner block of the panel solve: substitution on 32-row blocks, GEMM for the rest of the panel.</summary>
    private const int PanelSolveBlock = 32;

    /// <summary>Block of the recursive factorisation of the diagonal blocks.</summary>
    private const int DiagonalBlock = 32;

    /// <summary>Factors the n x n matrix in <paramref name="a"/> (row stride <paramref name="lda"/>, 0 = n) in place.</summary>
    /// <exception cref="NonFiniteMatrixException">the lower triangle contains NaN or Inf.</exception>
    /// <exception cref="NotPositiveDefiniteException">a pivot is not positive (A is not numerically SPD).</exception>
    public static void Factor<T>(Span<T> a, int n, int lda = 0, int maxThreads = 0)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Factor(a, n, lda, maxThreads, DefaultBlockSize);

    internal static void Factor<T>(Span<T> a, int n, int lda, int maxThreads, int blockSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        lda = MatrixChecks.LeadingDimension(a.Length, n, n, lda, nameof(a));
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), $"block size {blockSize} must be positive.");
        MatrixChecks.Finite<T>(a, n, n, lda, nameof(a), lowerOnly: true);
        if (n == 0) return;

        FactorLower(a, n, lda, maxThreads, blockSize, offset: 0, matrixSize: n);
        for (int i = 0; i < n - 1; i++) a.Slice(i * lda + i + 1, n - i - 1).Clear();
    }

    /// <summary>The right-looking loop on the n x n lower triangle at <paramref name="a"/>; pivots are reported as
    /// offset + i of a matrixSize matrix. The diagonal blocks are factored by the same loop with a 32-wide block
    /// (one level of recursion), so the unblocked kernel only ever sees 32 x 32 blocks. Leaves the strict upper
    /// triangle of the diagonal blocks untouched.</summary>
    private static void FactorLower<T>(Span<T> a, int n, int lda, int maxThreads, int blockSize, int offset, int matrixSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = Math.Min(blockSize, n);
        T[]? panelT = n > nb ? ArrayPool<T>.Shared.Rent(nb * (n - nb)) : null;
        try
        {
            for (int k = 0; k < n; k += nb)
            {
                int kb = Math.Min(nb, n - k), m2 = n - k - kb;
                if (kb > 2 * DiagonalBlock)
                    FactorLower(a.Slice(k * lda + k), kb, lda, maxThreads, DiagonalBlock, offset + k, matrixSize);
                else
                    CholeskyKernels.FactorDiagonalBlock(a.Slice(k * lda + k), kb, lda, matrixSize, offset + k);
                if (m2 == 0) break;

                // Panel L21 = A21 L11^-T, solved transposed as L21^T = L11^-1 A21^T: a left lower solve with m2
                // right-hand sides, blocked so that most of it is GEMM, and already in the X = L21^T layout
                // (kb x m2) that SYRK's X^T X wants.
                var x = panelT.AsSpan(0, kb * m2);
                var a21 = a.Slice((k + kb) * lda + k);
                Transpose.Copy<T>(a21, m2, kb, lda, x, m2);
                TriangularSolve.SolveLeft<T>(Triangle.Lower, false, kb, m2, a.Slice(k * lda + k), x, lda, m2, maxThreads,
                    PanelSolveBlock);
                Transpose.Copy<T>(x, kb, m2, m2, a21, lda);

                // Trailing update A22 -= L21 L21^T = X^T X.
                Blas.Syrk(kb, m2, -T.One, x, m2, T.One, a.Slice((k + kb) * lda + k + kb), lda, maxThreads);
            }
        }
        finally
        {
            if (panelT is not null) ArrayPool<T>.Shared.Return(panelT);
        }
    }

    /// <summary>Solves A X = B for X given the Cholesky factor L of A (lower, as produced by <see cref="Factor{T}(Span{T}, int, int, int)"/>):
    /// L Y = B then L^T X = Y. <paramref name="b"/> is n x nrhs row-major and is overwritten by X.</summary>
    public static void Solve<T>(ReadOnlySpan<T> l, int n, Span<T> b, int nrhs, int ldl = 0, int ldb = 0, int maxThreads = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TriangularSolve.SolveLeft(Triangle.Lower, transpose: false, n, nrhs, l, b, ldl, ldb, maxThreads);
        TriangularSolve.SolveLeft(Triangle.Lower, transpose: true, n, nrhs, l, b, ldl, ldb, maxThreads);
    }
}

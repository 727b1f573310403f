using System.Numerics;
using System.Numerics.Tensors;

namespace Kfac.Linalg;

/// <summary>
/// The level-2 pieces of the blocked Cholesky (LAPACK dpotf2 and the right-side dtrsm of dpotrf), written
/// row-wise for row-major storage: every inner product runs over two contiguous row prefixes.
/// </summary>
internal static class CholeskyKernels
{
    /// <summary>
    /// Unblocked Cholesky of the kb x kb diagonal block at <paramref name="a"/> (row stride lda), lower triangle,
    /// Crout order: l_ij = (a_ij - sum_{k&lt;j} l_ik l_jk) / l_jj, l_ii = sqrt(a_ii - sum_{k&lt;i} l_ik^2)
    /// (Golub &amp; Van Loan, 4th ed., Alg. 4.2.1). Throws with the global pivot index offset + i.
    /// </summary>
    public static void FactorDiagonalBlock<T>(Span<T> a, int kb, int lda, int matrixSize, int offset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < kb; i++)
        {
            var rowI = a.Slice(i * lda, i + 1);
            for (int j = 0; j < i; j++)
            {
                var rowJ = a.Slice(j * lda, j + 1);
                rowI[j] = (rowI[j] - TensorPrimitives.Dot<T>(rowI[..j], rowJ[..j])) / rowJ[j];
            }
            T pivot = rowI[i] - TensorPrimitives.Dot<T>(rowI[..i], rowI[..i]);
            if (!(pivot > T.Zero) || !T.IsFinite(pivot))
                throw new NotPositiveDefiniteException(matrixSize, offset + i, double.CreateTruncating(pivot));
            rowI[i] = T.Sqrt(pivot);
        }
    }

    /// <summary>
    /// Panel solve X L11^T = A21 for the rows [rowStart, rowEnd) of the panel, in place: with x the row,
    /// x_j = (a_j - sum_{k&lt;j} x_k l_jk) / l_jj. <paramref name="l11"/> is the factored kb x kb diagonal block.
    /// </summary>
    public static void SolvePanelRows<T>(ReadOnlySpan<T> l11, Span<T> panel, int kb, int lda, int rowStart, int rowEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            var x = panel.Slice(r * lda, kb);
            for (int j = 0; j < kb; j++)
            {
                var lj = l11.Slice(j * lda, j + 1);
                x[j] = (x[j] - TensorPrimitives.Dot<T>(x[..j], lj[..j])) / lj[j];
            }
        }
    }
}

using System.Numerics;
using System.Numerics.Tensors;

namespace Kfac.Linalg;

/// <summary>
/// The unblocked Cholesky of a diagonal block (LAPACK dpotf2), written row-wise for row-major storage: every
/// inner product runs over two contiguous row prefixes.
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
}

using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Kfac.Linalg;

/// <summary>
/// In-place inverse of a lower triangular matrix, W = L^-1 (LAPACK dtrtri, uplo = 'L'), row-major.
/// Block rows are produced top to bottom from L W = I: for block row K,
///   W_KK = L_KK^-1,   W_KJ = -L_KK^-1 * sum_{J&lt;=I&lt;K} L_KI W_IJ   (J &lt; K),
/// and each sum is one GEMM over the lower triangular W, so the n^3/3 flops are GEMM up to O(n^2 nb).
/// Processing J in increasing order lets W_KJ overwrite L_KJ: later blocks J' &gt; J only read L_KI, I &gt;= J'.
/// </summary>
internal static class TriangularInverse
{
    /// <summary>Precondition: the strict upper triangle of <paramref name="l"/> is zero (as <see cref="Cholesky"/> leaves it);
    /// the diagonal is nonzero. On return <paramref name="l"/> holds L^-1 (upper triangle still zero).</summary>
    public static void InvertLower<T>(Span<T> l, int n, int ldl, int maxThreads, int blockSize = 128)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        int nb = Math.Min(Math.Max(1, blockSize), n);
        T[] buffer = ArrayPool<T>.Shared.Rent(nb * nb);
        try
        {
            var c = buffer.AsSpan(0, nb * nb);
            for (int k = 0; k < n; k += nb)
            {
                int kb = Math.Min(nb, n - k);
                for (int j = 0; j < k; j += nb)
                {
                    // C = sum_{I = J..K-1} L_KI W_IJ: (kb x (k - j)) times ((k - j) x nb).
                    Blas.Gemm(false, false, kb, nb, k - j, T.One, l.Slice(k * ldl + j), ldl,
                        l.Slice(j * ldl + j), ldl, T.Zero, c, nb, maxThreads);
                    // Y = L_KK^-1 C (forward substitution with the still-untouched L_KK), then W_KJ = -Y.
                    for (int i = 0; i < kb; i++)
                    {
                        var ci = c.Slice(i * nb, nb);
                        for (int p = 0; p < i; p++)
                            TensorPrimitives.MultiplyAdd<T>(c.Slice(p * nb, nb), -l[(k + i) * ldl + k + p], ci, ci);
                        TensorPrimitives.Divide<T>(ci, l[(k + i) * ldl + k + i], ci);
                    }
                    for (int i = 0; i < kb; i++) TensorPrimitives.Negate<T>(c.Slice(i * nb, nb), l.Slice((k + i) * ldl + j, nb));
                }
                InvertDiagonalBlock(l.Slice(k * ldl + k), kb, ldl);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }

    /// <summary>Unblocked lower inverse (dtrti2) of the kb x kb block, row by row:
    /// w_ii = 1/l_ii, w_ij = -(sum_{j&lt;=p&lt;i} l_ip w_pj) / l_ii for j &lt; i (rows p &lt; i already hold W).</summary>
    private static void InvertDiagonalBlock<T>(Span<T> a, int kb, int lda)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < kb; i++)
        {
            var rowI = a.Slice(i * lda, i + 1);
            T lii = rowI[i];
            // Column j needs l_ip only for p >= j, so ascending j may overwrite l_ij with w_ij.
            for (int j = 0; j < i; j++)
            {
                T s = T.Zero;
                for (int p = j; p < i; p++) s += rowI[p] * a[p * lda + j];
                rowI[j] = -s / lii;
            }
            rowI[i] = T.One / lii;
        }
    }
}

using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Kfac.Linalg;

/// <summary>
/// In-place inverse of a lower triangular matrix, W = L^-1 (LAPACK dtrtri, uplo = 'L'), row-major.
/// Block rows are produced top to bottom from L W = I: for block row K,
///   W_KK = L_KK^-1,   W_K,0:k = -W_KK * (L_K,0:k W_0:k,0:k),
/// where the product C = L_K,0:k W_0:k,0:k is one GEMM per block column J over the rows I = J..K-1 where W_IJ is
/// nonzero, and the final multiply by -W_KK is one GEMM over the whole block row. So the n^3/3 flops are GEMM up to
/// the O(n nb^2) of the diagonal blocks. W_KK is inverted first into a scratch block; C lives in scratch too, so
/// block row K of L is read in full before it is overwritten.
/// </summary>
internal static class TriangularInverse
{
    /// <summary>Block of the recursive inversion of the diagonal blocks (one NR-wide panel of the AVX-512 kernel).</summary>
    private const int DiagonalBlock = 32;

    /// <summary>
    /// The block width for a call at <paramref name="maxThreads"/>: on one thread (K-FAC's concurrent refresh runs each
    /// factor on one) 32, whose narrow GEMMs measured fastest (float, AVX-512, n = 500 / 785 / 1000: 0.27 / 0.90 /
    /// 1.71 ms against 0.37 / 1.21 / 2.31 at 128 with the recursive diagonal blocks and 0.51 / 1.45 / 2.64 before
    /// them); on several threads 128, whose wider GEMMs split across them (n = 3137 on two threads: 31 ms against 73 at
    /// 32).
    /// </summary>
    public static int BlockFor(int maxThreads) => Kfac.Cpu.CpuParallel.ResolveThreads(maxThreads) == 1 ? DiagonalBlock : 128;

    /// <summary>Precondition: the strict upper triangle of <paramref name="l"/> is zero (as <see cref="Cholesky"/> leaves it);
    /// the diagonal is nonzero. On return <paramref name="l"/> holds L^-1 (upper triangle still zero).</summary>
    public static void InvertLower<T>(Span<T> l, int n, int ldl, int maxThreads, int blockSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        int nb = Math.Min(Math.Max(1, blockSize), n);
        T[] buffer = ArrayPool<T>.Shared.Rent(nb * nb + nb * n);
        try
        {
            var d = buffer.AsSpan(0, nb * nb);          // W_KK, kb x kb with leading dimension nb
            var c = buffer.AsSpan(nb * nb, nb * n);     // C, kb x k with leading dimension n
            for (int k = 0; k < n; k += nb)
            {
                int kb = Math.Min(nb, n - k);
                for (int i = 0; i < kb; i++)
                {
                    l.Slice((k + i) * ldl + k, i + 1).CopyTo(d.Slice(i * nb, i + 1));
                    d.Slice(i * nb + i + 1, kb - i - 1).Clear();
                }
                // W_KK: blocked again with 32-wide blocks (one level of recursion, as Cholesky's diagonal blocks),
                // so the unblocked kernel, one short SIMD axpy per element pair, only sees 32 x 32 blocks: at nb = 128
                // it was a third of the single-threaded time at n = 1000 (2.6 -> 1.7 ms measured).
                if (kb > 2 * DiagonalBlock) InvertLower(d, kb, nb, maxThreads, DiagonalBlock);
                else InvertDiagonalBlock(d, kb, nb);
                if (k > 0)
                {
                    for (int j = 0; j < k; j += nb)
                    {
                        int jb = Math.Min(nb, k - j);
                        // C_J = sum_{I = J..K-1} L_KI W_IJ: (kb x (k - j)) times ((k - j) x jb).
                        Blas.Gemm(false, false, kb, jb, k - j, T.One, l.Slice(k * ldl + j), ldl,
                            l.Slice(j * ldl + j), ldl, T.Zero, c.Slice(j), n, maxThreads);
                    }
                    // W_K,0:k = -W_KK C.
                    Blas.Gemm(false, false, kb, k, kb, -T.One, d, nb, c, n, T.Zero, l.Slice(k * ldl), ldl, maxThreads);
                }
                for (int i = 0; i < kb; i++) d.Slice(i * nb, i + 1).CopyTo(l.Slice((k + i) * ldl + k, i + 1));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }

    /// <summary>Unblocked lower inverse (dtrti2) of the kb x kb block, row by row:
    /// w_ii = 1/l_ii, w_i,0:i = -(sum_{p&lt;i} l_ip w_p,0:i) / l_ii (rows p &lt; i already hold W, and w_pj = 0 for
    /// j &gt; p). The sum runs as SIMD axpys over the contiguous rows of W into a scratch row, so row i of L can be
    /// read while row i of W is formed; a column-wise inner product would stride down W one element per row.</summary>
    private static void InvertDiagonalBlock<T>(Span<T> a, int kb, int lda)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] rented = ArrayPool<T>.Shared.Rent(kb);
        try
        {
            var acc = rented.AsSpan(0, kb);
            for (int i = 0; i < kb; i++)
            {
                var rowI = a.Slice(i * lda, i + 1);
                T lii = rowI[i];
                var sum = acc[..i];
                sum.Clear();
                for (int p = 0; p < i; p++)
                    TensorPrimitives.MultiplyAdd<T>(a.Slice(p * lda, p + 1), rowI[p], sum[..(p + 1)], sum[..(p + 1)]);
                TensorPrimitives.Multiply<T>(sum, -T.One / lii, rowI[..i]);
                rowI[i] = T.One / lii;
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }
}

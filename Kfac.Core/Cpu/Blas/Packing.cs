using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kfac.Cpu.Blas;

/// <summary>
/// Packing routines of the Goto/BLIS scheme: copy a block of op(A) or op(B) into the contiguous micro-panel
/// order the micro-kernel streams through, so the kernel reads both operands with unit stride whatever the
/// storage order. The transposes of op(A) and op(B) are absorbed here (no separate transpose pass).
/// Edge micro-panels are zero padded to MR / NR.
/// </summary>
internal static unsafe class Packing<T, TK> where T : unmanaged, IFloatingPointIeee754<T> where TK : struct, IMicroKernel<T>
{
    /// <summary>
    /// Packs op(A)[i0 : i0+rows, p0 : p0+kc] as ceil(rows/MR) micro-panels of kc x MR: element (i, p) of panel q
    /// goes to dst[q*kc*MR + p*MR + i]. op(A) = A (stored m x k, row stride lda) or A^T (stored k x m).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(T* a, int lda, bool transA, int i0, int rows, int p0, int kc, T* dst)
    {
        int mr = TK.MR;
        for (int ii = 0; ii < rows; ii += mr, dst += kc * mr)
        {
            int r = Math.Min(mr, rows - ii);
            if (transA)
            {
                T* src = a + (long)p0 * lda + i0 + ii;
                if (r == mr)
                    for (int p = 0; p < kc; p++) Unsafe.CopyBlockUnaligned(dst + p * mr, src + (long)p * lda, (uint)(mr * sizeof(T)));
                else
                    for (int p = 0; p < kc; p++)
                    {
                        T* d = dst + p * mr, s = src + (long)p * lda;
                        int i = 0;
                        for (; i < r; i++) d[i] = s[i];
                        for (; i < mr; i++) d[i] = T.Zero;
                    }
            }
            else
            {
                Transpose.Copy(a + (long)(i0 + ii) * lda + p0, lda, r, kc, dst, mr);
                if (r < mr)
                    for (int p = 0; p < kc; p++)
                        for (int i = r; i < mr; i++) dst[p * mr + i] = T.Zero;
            }
        }
    }

    /// <summary>
    /// Packs the micro-panel q of op(B)[p0 : p0+kc, j0 : j0+cols] (columns j0 + q*NR ...) as kc x NR: element (p, j)
    /// goes to dst[p*NR + j]. op(B) = B (stored k x n, row stride ldb) or B^T (stored n x k).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBPanel(T* b, int ldb, bool transB, int p0, int kc, int j0, int cols, T* dst)
    {
        int nr = TK.NR;
        int c = Math.Min(nr, cols);
        if (!transB)
        {
            T* src = b + (long)p0 * ldb + j0;
            if (c == nr)
                for (int p = 0; p < kc; p++) Unsafe.CopyBlockUnaligned(dst + p * nr, src + (long)p * ldb, (uint)(nr * sizeof(T)));
            else
                for (int p = 0; p < kc; p++)
                {
                    T* d = dst + p * nr, s = src + (long)p * ldb;
                    int j = 0;
                    for (; j < c; j++) d[j] = s[j];
                    for (; j < nr; j++) d[j] = T.Zero;
                }
        }
        else
        {
            Transpose.Copy(b + (long)j0 * ldb + p0, ldb, c, kc, dst, nr);
            if (c < nr)
                for (int p = 0; p < kc; p++)
                    for (int j = c; j < nr; j++) dst[p * nr + j] = T.Zero;
        }
    }
}

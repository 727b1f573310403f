using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
                    for (int p = 0; p < kc; p++) CopyPadded(dst + p * mr, src + (long)p * lda, r, mr);
            }
            else
            {
                if (typeof(T) == typeof(float) && mr == 6 && r == 6 && Avx.IsSupported)
                    PackSixRows((float*)(a + (long)(i0 + ii) * lda + p0), lda, kc, (float*)dst);
                else Transpose.Copy(a + (long)(i0 + ii) * lda + p0, lda, r, kc, dst, mr);
                if (r < mr)
                    for (int p = 0; p < kc; p++)
                        for (int i = r; i < mr; i++) dst[p * mr + i] = T.Zero;
            }
        }
    }

    /// <summary>The first <paramref name="count"/> values of <paramref name="src"/> into <paramref name="dst"/>, then zeros up
    /// to <paramref name="width"/>: one row of a ragged edge panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyPadded(T* dst, T* src, int count, int width)
    {
        int j = 0;
        for (; j < count; j++) dst[j] = src[j];
        for (; j < width; j++) dst[j] = T.Zero;
    }

    /// <summary>
    /// Six stored rows of A (the AVX2 kernel's MR) into one micro-panel, dst[p * 6 + i] = src[i * lda + p]: eight
    /// columns at a time, transposed as an 8 x 8 block whose rows 6 and 7 are zero, each column then stored as a whole
    /// 256-bit vector at its place 6 floats after the previous one (its two zero lanes are overwritten by the next
    /// column's store): 6 loads and 8 stores per 48 values, where the 4 x 4 and 2 x 4 blocks of
    /// <see cref="Transpose.Copy{T}"/> need 12 and 16. The last column of the panel is stored without the overhang.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackSixRows(float* src, int lda, int kc, float* dst)
    {
        var zero = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            float* s = src + p;
            Transpose.Columns8x8(Avx.LoadVector256(s), Avx.LoadVector256(s + lda), Avx.LoadVector256(s + 2 * lda),
                Avx.LoadVector256(s + 3 * lda), Avx.LoadVector256(s + 4 * lda), Avx.LoadVector256(s + 5 * lda), zero, zero,
                out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var last);
            float* d = dst + p * 6;
            Avx.Store(d, c0);
            Avx.Store(d + 6, c1);
            Avx.Store(d + 12, c2);
            Avx.Store(d + 18, c3);
            Avx.Store(d + 24, c4);
            Avx.Store(d + 30, c5);
            Avx.Store(d + 36, c6);
            if (p + 8 < kc) Avx.Store(d + 42, last); // the overhang lands where the next columns are written next
            else
            {
                Sse.Store(d + 42, last.GetLower());
                Sse.StoreLow(d + 46, last.GetUpper());
            }
        }
        if (p < kc) Transpose.Copy(src + p, lda, 6, kc - p, dst + p * 6, 6);
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
                for (int p = 0; p < kc; p++) CopyPadded(dst + p * nr, src + (long)p * ldb, c, nr);
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

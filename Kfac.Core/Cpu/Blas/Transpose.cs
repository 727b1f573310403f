using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kfac.Cpu.Blas;

/// <summary>
/// The transposing copy used by packing when the packed order runs across the stored rows (op(A) = A and
/// op(B) = B^T): dst[p * ldd + r] = src[r * lds + p] for r &lt; rows, p &lt; cols. Done in 8 x 8 (float) and 4 x 4
/// (float, double) register transposes with AVX unpack/shuffle/permute (the usual 24-shuffle 8 x 8 network), 3 to 7
/// times faster than element-by-element strided stores (measured); scalar for the ragged remainder.
/// </summary>
internal static unsafe class Transpose
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Copy<T>(T* src, int lds, int rows, int cols, T* dst, int ldd) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                float* s = (float*)src, d = (float*)dst;
                for (; r + 8 <= rows; r += 8)
                {
                    // Two blocks per step so each 64-byte source line is consumed whole while it is in L1.
                    int p = 0;
                    for (; p + 16 <= cols; p += 16)
                    {
                        Block8x8(s + (long)r * lds + p, lds, d + (long)p * ldd + r, ldd);
                        Block8x8(s + (long)r * lds + p + 8, lds, d + (long)(p + 8) * ldd + r, ldd);
                    }
                    if (p + 8 <= cols) Block8x8(s + (long)r * lds + p, lds, d + (long)p * ldd + r, ldd);
                }
                for (; r + 4 <= rows; r += 4)
                    for (int p = 0; p + 4 <= cols; p += 4) Block4x4(s + (long)r * lds + p, lds, d + (long)p * ldd + r, ldd);
                // Two rows left (the AVX2 kernel's 6-row A panels end this way): 2 x 4 blocks, not the scalar loop.
                for (; r + 2 <= rows; r += 2)
                    for (int p = 0; p + 4 <= cols; p += 4) Block2x4(s + (long)r * lds + p, lds, d + (long)p * ldd + r, ldd);
                int pDone8 = cols & ~7, pDone4 = cols & ~3;
                // Columns the blocks did not cover: rows [0, r8) stop at pDone8, rows [r8, r) (4 x 4 and 2 x 4 blocks) at pDone4.
                int r8 = rows & ~7;
                Scalar(src, lds, 0, r8, pDone8, cols, dst, ldd);
                Scalar(src, lds, r8, r, pDone4, cols, dst, ldd);
            }
            else if (typeof(T) == typeof(double))
            {
                double* s = (double*)src, d = (double*)dst;
                for (; r + 4 <= rows; r += 4)
                    for (int p = 0; p + 4 <= cols; p += 4) Block4x4(s + (long)r * lds + p, lds, d + (long)p * ldd + r, ldd);
                Scalar(src, lds, 0, r, cols & ~3, cols, dst, ldd);
            }
        }
        Scalar(src, lds, r, rows, 0, cols, dst, ldd);
    }

    private static void Scalar<T>(T* src, int lds, int r0, int r1, int p0, int p1, T* dst, int ldd) where T : unmanaged
    {
        for (int r = r0; r < r1; r++)
        {
            T* s = src + (long)r * lds;
            for (int p = p0; p < p1; p++) dst[(long)p * ldd + r] = s[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8x8(float* s, int lds, float* d, int ldd)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + 2 * lds);
        var r3 = Avx.LoadVector256(s + 3 * lds);
        var r4 = Avx.LoadVector256(s + 4 * lds);
        var r5 = Avx.LoadVector256(s + 5 * lds);
        var r6 = Avx.LoadVector256(s + 6 * lds);
        var r7 = Avx.LoadVector256(s + 7 * lds);
        Columns8x8(r0, r1, r2, r3, r4, r5, r6, r7, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
        Avx.Store(d, c0);
        Avx.Store(d + ldd, c1);
        Avx.Store(d + 2 * ldd, c2);
        Avx.Store(d + 3 * ldd, c3);
        Avx.Store(d + 4 * ldd, c4);
        Avx.Store(d + 5 * ldd, c5);
        Avx.Store(d + 6 * ldd, c6);
        Avx.Store(d + 7 * ldd, c7);
    }

    /// <summary>The 8 x 8 transpose network (24 shuffles): c_j holds column j of the rows r0..r7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Columns8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
        out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3,
        out Vector256<float> c4, out Vector256<float> c5, out Vector256<float> c6, out Vector256<float> c7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        // u0 = column 0 of rows 0-3 (low lane) and column 4 (high lane); u1: columns 1/5; u2: 2/6; u3: 3/7.
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        c0 = Avx.Permute2x128(u0, u4, 0x20); c1 = Avx.Permute2x128(u1, u5, 0x20);
        c2 = Avx.Permute2x128(u2, u6, 0x20); c3 = Avx.Permute2x128(u3, u7, 0x20);
        c4 = Avx.Permute2x128(u0, u4, 0x31); c5 = Avx.Permute2x128(u1, u5, 0x31);
        c6 = Avx.Permute2x128(u2, u6, 0x31); c7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x4(float* s, int lds, float* d, int ldd)
    {
        var r0 = Sse.LoadVector128(s);
        var r1 = Sse.LoadVector128(s + lds);
        var r2 = Sse.LoadVector128(s + 2 * lds);
        var r3 = Sse.LoadVector128(s + 3 * lds);
        var t0 = Sse.UnpackLow(r0, r1); var t1 = Sse.UnpackHigh(r0, r1);
        var t2 = Sse.UnpackLow(r2, r3); var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(d, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(d + ldd, Sse.MoveHighToLow(t2, t0));
        Sse.Store(d + 2 * ldd, Sse.MoveLowToHigh(t1, t3));
        Sse.Store(d + 3 * ldd, Sse.MoveHighToLow(t3, t1));
    }

    /// <summary>Rows 2 x columns 4 to columns 4 x rows 2: each destination row gets a 64-bit pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block2x4(float* s, int lds, float* d, int ldd)
    {
        var r0 = Sse.LoadVector128(s);
        var r1 = Sse.LoadVector128(s + lds);
        var t0 = Sse.UnpackLow(r0, r1);  // r0[0] r1[0] r0[1] r1[1]
        var t1 = Sse.UnpackHigh(r0, r1); // r0[2] r1[2] r0[3] r1[3]
        Sse.StoreLow(d, t0);
        Sse.StoreHigh(d + ldd, t0);
        Sse.StoreLow(d + 2 * ldd, t1);
        Sse.StoreHigh(d + 3 * ldd, t1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x4(double* s, int lds, double* d, int ldd)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + 2 * lds);
        var r3 = Avx.LoadVector256(s + 3 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(t1, t3, 0x31));
    }
}

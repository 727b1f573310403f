using System.Numerics;

namespace Kfac.Cpu.Blas;

/// <summary>
/// Portable 4 x 4 scalar micro-kernel, used when neither Vector512 nor Vector256 is hardware accelerated (and by
/// tests). Same packed layout and contract as the SIMD kernels, so the blocking code is shared.
/// </summary>
internal unsafe struct ScalarKernel<T> : IMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 4;
    public static int NR => 4;
    public static bool IsSupported => true;

    public static void Tile(int mr, int nr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        T c00 = T.Zero, c01 = T.Zero, c02 = T.Zero, c03 = T.Zero, c10 = T.Zero, c11 = T.Zero, c12 = T.Zero, c13 = T.Zero,
          c20 = T.Zero, c21 = T.Zero, c22 = T.Zero, c23 = T.Zero, c30 = T.Zero, c31 = T.Zero, c32 = T.Zero, c33 = T.Zero;
        for (int p = 0; p < kc; p++, a += 4, b += 4)
        {
            T b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            T a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        T* t = stackalloc T[16];
        t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03; t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
        t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23; t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
        TileMerge.Merge(mr, nr, t, 4, c, ldc, alpha, beta);
    }
}

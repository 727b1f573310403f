using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// The pieces GEMM and SYRK share (device functions, inlined into the kernels).
/// <para>Tiling: a group of TX x TY threads (16 x 16 on CUDA, 8 x 8 on the CPU accelerator) owns a
/// (4 TY) x (4 TX) tile of C. Per step it stages a TileK-deep slice of both operands in shared memory,
/// k-major (<c>tile[p * TileStride + column]</c>), then every thread accumulates its 4 x 4 outputs in registers
/// (<see cref="Block4x4{T}"/>): rows ty + r TY and columns tx + c TX for r, c in 0..3. The strided assignment
/// makes the shared-memory reads of a warp broadcast (same row of A) or hit consecutive banks (B), and the
/// final stores coalesce along tx.</para>
/// </summary>
internal static class GemmTile
{
    /// <summary>
    /// Stages tile[p, c] = P[k0 + p, c0 + c] for p &lt; TileK, c &lt; tileCols, zero outside the kTotal x cTotal
    /// matrix P (so partial tiles need no special case in the multiply). P[p, c] = src[offset + p * ld + c], or
    /// src[offset + c * ld + p] when <paramref name="transposed"/>; the loop order makes consecutive threads read
    /// consecutive addresses in both cases.
    /// </summary>
    public static void Load<T>(ArrayView<T> src, int offset, int ld, int transposed, int kTotal, int cTotal,
        int k0, int c0, int tileCols, ArrayView<T> tile, int thread, int threads)
        where T : unmanaged, INumber<T>
    {
        int count = KernelLimits.TileK * tileCols;
        for (int l = thread; l < count; l += threads)
        {
            int p, c;
            if (transposed != 0)
            {
                p = l % KernelLimits.TileK;
                c = l / KernelLimits.TileK;
            }
            else
            {
                c = l % tileCols;
                p = l / tileCols;
            }
            int gp = k0 + p, gc = c0 + c;
            T v = T.Zero;
            if (gp < kTotal && gc < cTotal)
                v = transposed != 0 ? src[offset + gc * ld + gp] : src[offset + gp * ld + gc];
            tile[p * KernelLimits.TileStride + c] = v;
        }
    }

    /// <summary>acc += As^T Bs over one TileK step for the thread at (tx, ty) in a dimX x dimY group, unrolled four
    /// p-steps at a time (ILGPU does not unroll the loop itself; each step is 8 shared loads and 16 multiply-adds,
    /// which ptxas contracts to FMAs).</summary>
    public static Block4x4<T> MultiplyAdd<T>(Block4x4<T> acc, ArrayView<T> aTile, ArrayView<T> bTile, int tx, int ty, int dimX, int dimY)
        where T : unmanaged, INumber<T>
    {
        const int s = KernelLimits.TileStride;
        int ra = ty, rb = tx;
        for (int p = 0; p < KernelLimits.TileK; p += 4)
        {
            acc = Step(acc, aTile, bTile, ra, rb, dimX, dimY);
            acc = Step(acc, aTile, bTile, ra + s, rb + s, dimX, dimY);
            acc = Step(acc, aTile, bTile, ra + 2 * s, rb + 2 * s, dimX, dimY);
            acc = Step(acc, aTile, bTile, ra + 3 * s, rb + 3 * s, dimX, dimY);
            ra += 4 * s;
            rb += 4 * s;
        }
        return acc;
    }

    /// <summary>One rank-one update of the register block: column p of the A tile (at ra) times row p of the B tile (at rb).</summary>
    private static Block4x4<T> Step<T>(Block4x4<T> acc, ArrayView<T> aTile, ArrayView<T> bTile, int ra, int rb, int dimX, int dimY)
        where T : unmanaged, INumber<T>
    {
        T a0 = aTile[ra], a1 = aTile[ra + dimY], a2 = aTile[ra + 2 * dimY], a3 = aTile[ra + 3 * dimY];
        T b0 = bTile[rb], b1 = bTile[rb + dimX], b2 = bTile[rb + 2 * dimX], b3 = bTile[rb + 3 * dimX];
        acc.C00 += a0 * b0; acc.C01 += a0 * b1; acc.C02 += a0 * b2; acc.C03 += a0 * b3;
        acc.C10 += a1 * b0; acc.C11 += a1 * b1; acc.C12 += a1 * b2; acc.C13 += a1 * b3;
        acc.C20 += a2 * b0; acc.C21 += a2 * b1; acc.C22 += a2 * b2; acc.C23 += a2 * b3;
        acc.C30 += a3 * b0; acc.C31 += a3 * b1; acc.C32 += a3 * b2; acc.C33 += a3 * b3;
        return acc;
    }
}

/// <summary>A thread's 4 x 4 register block of accumulators (element (r, c) is C{r}{c}).</summary>
internal struct Block4x4<T> where T : unmanaged, INumber<T>
{
    public T C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23, C30, C31, C32, C33;

    public readonly T Get(int r, int c) => r switch
    {
        0 => c == 0 ? C00 : c == 1 ? C01 : c == 2 ? C02 : C03,
        1 => c == 0 ? C10 : c == 1 ? C11 : c == 2 ? C12 : C13,
        2 => c == 0 ? C20 : c == 1 ? C21 : c == 2 ? C22 : C23,
        _ => c == 0 ? C30 : c == 1 ? C31 : c == 2 ? C32 : C33,
    };
}

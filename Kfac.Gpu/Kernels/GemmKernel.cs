using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// Tiled GEMM, C = alpha op(A) op(B) + beta C, float32 or float64 (SGEMM/DGEMM), any m, n, k.
/// <para>Launch: a 2-D grid of ceil(n / (4 TX)) x ceil(m / (4 TY)) groups of TX x TY threads; group (gx, gy) owns
/// the output tile rows [4 TY gy, 4 TY (gy + 1)), columns [4 TX gx, 4 TX (gx + 1)). The k loop stages TileK-deep
/// slices of op(A) and op(B) in shared memory (zero-padded past m, n, k, so sizes that do not divide the tile and
/// k &gt; m need no special path) and each thread accumulates a 4 x 4 register block (<see cref="GemmTile"/>).
/// beta = 0 never reads C (it may hold NaN garbage from the pool).</para>
/// </summary>
internal static class GemmKernel
{
    public static void Run<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GemmArgs g, T alpha, T beta)
        where T : unmanaged, INumber<T>
    {
        var aTile = SharedMemory.Allocate<T>(KernelLimits.TileK * KernelLimits.TileStride);
        var bTile = SharedMemory.Allocate<T>(KernelLimits.TileK * KernelLimits.TileStride);
        int tx = Group.IdxX, ty = Group.IdxY, dimX = Group.DimX, dimY = Group.DimY;
        int tileM = KernelLimits.Reg * dimY, tileN = KernelLimits.Reg * dimX;
        int row0 = Grid.IdxY * tileM, col0 = Grid.IdxX * tileN;
        int thread = ty * dimX + tx, threads = dimX * dimY;

        var acc = default(Block4x4<T>);
        for (int k0 = 0; k0 < g.K; k0 += KernelLimits.TileK)
        {
            // aTile[p, i] = op(A)[row0 + i, k0 + p]: A is m x k (row i at i * lda) unless transposed.
            GemmTile.Load(a, g.AOffset, g.Lda, 1 - g.TransA, g.K, g.M, k0, row0, tileM, aTile, thread, threads);
            // bTile[p, j] = op(B)[k0 + p, col0 + j]: B is k x n unless transposed.
            GemmTile.Load(b, g.BOffset, g.Ldb, g.TransB, g.K, g.N, k0, col0, tileN, bTile, thread, threads);
            Group.Barrier();
            acc = GemmTile.MultiplyAdd(acc, aTile, bTile, tx, ty, dimX, dimY);
            Group.Barrier();
        }

        for (int r = 0; r < KernelLimits.Reg; r++)
        {
            int i = row0 + ty + r * dimY;
            if (i >= g.M) break;
            for (int q = 0; q < KernelLimits.Reg; q++)
            {
                int j = col0 + tx + q * dimX;
                if (j >= g.N) break;
                int at = g.COffset + i * g.Ldc + j;
                T v = alpha * acc.Get(r, q);
                c[at] = beta == T.Zero ? v : v + beta * c[at];
            }
        }
    }
}

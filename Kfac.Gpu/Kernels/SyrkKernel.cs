using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// Symmetric rank-k update, C = beta C + alpha P^T P (K-FAC's covariance update with the EMA fused in: beta = eps,
/// alpha = (1 - eps) / m), and the trailing update of the blocked Cholesky (alpha = -1, beta = 1, P^T P = L21 L21^T).
/// <para>Same tiling as <see cref="GemmKernel"/> with both operands read from P; groups whose tile lies strictly
/// above the diagonal return at once, so only the lower triangle is computed (half the flops). In a diagonal tile
/// only threads with i &gt;= j store. With Mirror the value is also stored at (j, i), computed once, so the result is
/// exactly symmetric; the lower triangle of C is the only part ever read.</para>
/// </summary>
internal static class SyrkKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> c, SyrkArgs s, T alpha, T beta)
        where T : unmanaged, INumber<T>
    {
        var aTile = SharedMemory.Allocate<T>(KernelLimits.TileK * KernelLimits.TileStride);
        var bTile = SharedMemory.Allocate<T>(KernelLimits.TileK * KernelLimits.TileStride);
        int tx = Group.IdxX, ty = Group.IdxY, dimX = Group.DimX, dimY = Group.DimY;
        int tileM = KernelLimits.Reg * dimY, tileN = KernelLimits.Reg * dimX;
        // The launcher uses square groups (tileM == tileN), so the tile grid is symmetric.
        if (Grid.IdxX > Grid.IdxY) return; // the whole group leaves before any barrier
        int row0 = Grid.IdxY * tileM, col0 = Grid.IdxX * tileN;
        int thread = ty * dimX + tx, threads = dimX * dimY;

        var acc = default(Block4x4<T>);
        for (int k0 = 0; k0 < s.K; k0 += KernelLimits.TileK)
        {
            GemmTile.Load(x, s.XOffset, s.Ldx, s.Transposed, s.K, s.N, k0, row0, tileM, aTile, thread, threads);
            GemmTile.Load(x, s.XOffset, s.Ldx, s.Transposed, s.K, s.N, k0, col0, tileN, bTile, thread, threads);
            Group.Barrier();
            acc = GemmTile.MultiplyAdd(acc, aTile, bTile, tx, ty, dimX, dimY);
            Group.Barrier();
        }

        for (int r = 0; r < KernelLimits.Reg; r++)
        {
            int i = row0 + ty + r * dimY;
            if (i >= s.N) break;
            for (int q = 0; q < KernelLimits.Reg; q++)
            {
                int j = col0 + tx + q * dimX;
                if (j >= s.N || j > i) continue;
                int at = s.COffset + i * s.Ldc + j;
                T v = alpha * acc.Get(r, q);
                if (beta != T.Zero) v += beta * c[at];
                c[at] = v;
                if (s.Mirror != 0 && j != i) c[s.COffset + j * s.Ldc + i] = v;
            }
        }
    }
}

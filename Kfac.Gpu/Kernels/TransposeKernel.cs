using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// y = x^T for a rows x cols matrix through a 32 x 33 shared-memory tile (the padding column keeps the transposed
/// reads conflict-free). A group of 32 x TY threads handles one 32 x 32 tile (group (gx, gy): rows 32 gy.., columns
/// 32 gx..); each thread moves 32 / TY elements, reading along a row of x and writing along a row of y, so both
/// global accesses coalesce.
/// </summary>
internal static class TransposeKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, int rows, int cols) where T : unmanaged, INumber<T>
    {
        const int tileSide = KernelLimits.TransposeTile;
        var tile = SharedMemory.Allocate<T>(tileSide * (tileSide + 1));
        int tx = Group.IdxX, ty = Group.IdxY, dimY = Group.DimY;
        int r0 = Grid.IdxY * tileSide, c0 = Grid.IdxX * tileSide;
        for (int r = ty; r < tileSide; r += dimY)
            if (r0 + r < rows && c0 + tx < cols) tile[r * (tileSide + 1) + tx] = x[(r0 + r) * cols + c0 + tx];
        Group.Barrier();
        // y is cols x rows: y[c0 + c, r0 + tx] = x[r0 + tx, c0 + c].
        for (int c = ty; c < tileSide; c += dimY)
            if (c0 + c < cols && r0 + tx < rows) y[(c0 + c) * rows + r0 + tx] = tile[tx * (tileSide + 1) + c];
    }
}

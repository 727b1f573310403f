using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>y[r] (+)= sum_c x[r, c] for a rows x cols matrix (SumAxis with inner = 1, SumToMid with outer = 1).
/// One group per row (grid-stride over rows): the threads stride over the columns, then a shared-memory tree
/// reduction (<see cref="GroupReduce"/>) combines them.</summary>
internal static class RowSumKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, int rows, int cols, int accumulate) where T : unmanaged, INumber<T>
    {
        var shared = SharedMemory.Allocate<T>(KernelLimits.MaxGroupSize);
        for (int r = Grid.IdxX; r < rows; r += Grid.DimX)
        {
            T s = T.Zero;
            for (int c = Group.IdxX; c < cols; c += Group.DimX) s += x[r * cols + c];
            s = GroupReduce.Sum(shared, s);
            if (Group.IdxX == 0) y[r] = accumulate != 0 ? y[r] + s : s;
        }
    }
}

using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>y[r] = log sum_c exp(x[r, c]), max-shifted; one group per row (<see cref="RowLogSumExp"/>).</summary>
internal static class LogSumExpKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, ArrayView<T> y, int rows, int cols)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var shared = SharedMemory.Allocate<T>(KernelLimits.MaxGroupSize);
        for (int r = Grid.IdxX; r < rows; r += Grid.DimX)
        {
            T lse = RowLogSumExp.Compute<T, TReal>(x, r * cols, cols, shared);
            if (Group.IdxX == 0) y[r] = lse;
        }
    }
}

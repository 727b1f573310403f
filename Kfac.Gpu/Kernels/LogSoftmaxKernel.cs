using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>y = x - logsumexp(x) per row of a rows x cols matrix; one group per row (grid-stride over rows), the
/// row's log-sum-exp by two tree reductions (<see cref="RowLogSumExp"/>).</summary>
internal static class LogSoftmaxKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, ArrayView<T> y, int rows, int cols)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var shared = SharedMemory.Allocate<T>(KernelLimits.MaxGroupSize);
        for (int r = Grid.IdxX; r < rows; r += Grid.DimX)
        {
            T lse = RowLogSumExp.Compute<T, TReal>(x, r * cols, cols, shared);
            for (int c = Group.IdxX; c < cols; c += Group.DimX) y[r * cols + c] = x[r * cols + c] - lse;
        }
    }
}

using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>dx (+)= dy - exp(y) rowsum(dy) with y the log-softmax output (d y_i / d x_j = delta_ij - softmax_j);
/// one group per row: a tree reduction for rowsum(dy), then the elementwise update.</summary>
internal static class LogSoftmaxBackwardKernel
{
    public static void Run<T, TReal>(ArrayView<T> y, ArrayView<T> dy, ArrayView<T> dx, int rows, int cols, int accumulate)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var shared = SharedMemory.Allocate<T>(KernelLimits.MaxGroupSize);
        for (int r = Grid.IdxX; r < rows; r += Grid.DimX)
        {
            T s = T.Zero;
            for (int c = Group.IdxX; c < cols; c += Group.DimX) s += dy[r * cols + c];
            s = GroupReduce.Sum(shared, s);
            for (int c = Group.IdxX; c < cols; c += Group.DimX)
            {
                int at = r * cols + c;
                T v = dy[at] - default(TReal).Exp(y[at]) * s;
                dx[at] = accumulate != 0 ? dx[at] + v : v;
            }
        }
    }
}

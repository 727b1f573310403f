using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>dx[r, c] (+)= dy[r] exp(x[r, c] - y[r]) (y the log-sum-exp), elementwise with a grid-stride loop.</summary>
internal static class LogSumExpBackwardKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, ArrayView<T> y, ArrayView<T> dy, ArrayView<T> dx, int rows, int cols, int accumulate)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        int total = rows * cols;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int r = l / cols;
            T v = dy[r] * default(TReal).Exp(x[l] - y[r]);
            dx[l] = accumulate != 0 ? dx[l] + v : v;
        }
    }
}

using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>y = alpha x + beta y, grid-stride; beta = 0 overwrites y without reading it (pooled buffers may hold NaN).</summary>
internal static class AxpbyKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, int n, T alpha, T beta) where T : unmanaged, INumber<T>
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
            y[i] = beta == T.Zero ? alpha * x[i] : alpha * x[i] + beta * y[i];
    }
}

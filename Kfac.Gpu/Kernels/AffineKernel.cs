using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>y = scale x + shift, grid-stride (x and y may be the same buffer).</summary>
internal static class AffineKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, int n, T scale, T shift) where T : unmanaged, INumber<T>
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
            y[i] = scale * x[i] + shift;
    }
}

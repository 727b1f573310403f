using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>y[b, c, oh, ow] = source[b, c, a] at the window's arg max a of x (<see cref="PoolWindow.ArgMax"/>):
/// max pooling with source = x, its forward-mode derivative (MaxPoolJvp) with source = tx. One thread per output,
/// grid-stride.</summary>
internal static class MaxPoolKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> source, ArrayView<T> y, WindowArgs g) where T : unmanaged, INumber<T>
    {
        int locations = g.OutHeight * g.OutWidth, planeIn = g.Height * g.Width;
        int total = g.Batch * g.Channels * locations;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int plane = l / locations, t = l - plane * locations;
            int p = t / g.OutWidth, q = t - p * g.OutWidth;
            int offset = plane * planeIn;
            y[l] = source[offset + PoolWindow.ArgMax(x, offset, g, p, q)];
        }
    }
}

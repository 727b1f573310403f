using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>y[o, d, i] (+)= x[o, i] (the adjoint of SumAxis), grid-stride over the elements of y.</summary>
internal static class BroadcastAxisKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, AxisArgs g) where T : unmanaged, INumber<T>
    {
        int total = g.Outer * g.Dim * g.Inner;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int i = l % g.Inner, o = l / (g.Dim * g.Inner);
            T v = x[o * g.Inner + i];
            y[l] = g.Accumulate != 0 ? y[l] + v : v;
        }
    }
}

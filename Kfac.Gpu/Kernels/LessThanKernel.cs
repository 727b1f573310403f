using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>result[i] = a[i] &lt; b[i] ? 1 : 0 (Bernoulli sampling: uniform &lt; p), grid-stride.</summary>
internal static class LessThanKernel
{
    public static void Run<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> result, int n) where T : unmanaged, INumber<T>
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
            result[i] = a[i] < b[i] ? T.One : T.Zero;
    }
}

using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>a[i, i] += value for an n x n matrix (one thread per diagonal entry, grid-stride).</summary>
internal static class AddToDiagonalKernel
{
    public static void Run<T>(ArrayView<T> a, int n, T value) where T : unmanaged, INumber<T>
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
            a[i * (n + 1)] += value;
    }
}

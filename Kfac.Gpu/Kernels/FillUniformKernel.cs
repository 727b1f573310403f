using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>x[i] = uniform [0, 1) draw number offset + i under key (Kfac.Sampling.RandomStream; bit-identical to the
/// CPU backend). Each thread computes its draws from their counters, grid-stride.</summary>
internal static class FillUniformKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, int n, ulong key, ulong offset)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var real = default(TReal);
        bool single = real.IsSinglePrecision;
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            ulong counter = offset + (ulong)i;
            x[i] = single ? real.FromDouble(DeviceRandom.UniformSingle(key, counter)) : real.FromDouble(DeviceRandom.UniformDouble(key, counter));
        }
    }
}

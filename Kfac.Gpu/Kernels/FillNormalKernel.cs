using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>x[i] = N(0, 1) from draws 2 (offset + i) and 2 (offset + i) + 1 (Box-Muller, as RandomStream.Normal),
/// computed in double and rounded once; grid-stride.</summary>
internal static class FillNormalKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, int n, ulong key, ulong offset)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
            x[i] = default(TReal).FromDouble(DeviceRandom.Normal(key, offset + (ulong)i));
    }
}

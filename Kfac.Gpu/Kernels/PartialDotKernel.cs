using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>partials[g] = sum of x[l] y[l] over the l handled by group g, in double (see <see cref="PartialSumKernel"/>).</summary>
internal static class PartialDotKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, ArrayView<T> y, ArrayView<double> partials, int n)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var shared = SharedMemory.Allocate<double>(KernelLimits.MaxGroupSize);
        var real = default(TReal);
        double s = 0;
        for (int l = Grid.GlobalIndex.X; l < n; l += Grid.DimX * Group.DimX)
            s += real.ToDouble(x[l]) * real.ToDouble(y[l]);
        s = GroupReduce.Sum(shared, s);
        if (Group.IdxX == 0) partials[Grid.IdxX] = s;
    }
}

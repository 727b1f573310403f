using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// partials[g] = sum of x[offset + l * stride] over the l handled by group g (grid-stride over l &lt; count), accumulated
/// in double whatever T is (as the CPU backend sums float in double). Sum uses stride 1, Trace stride n + 1. The host
/// adds the (at most a few thousand) partials: it needs the value anyway, so a second launch would buy nothing.
/// </summary>
internal static class PartialSumKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, ArrayView<double> partials, int offset, int stride, int count)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var shared = SharedMemory.Allocate<double>(KernelLimits.MaxGroupSize);
        double s = 0;
        for (int l = Grid.GlobalIndex.X; l < count; l += Grid.DimX * Group.DimX)
            s += default(TReal).ToDouble(x[offset + l * stride]);
        s = GroupReduce.Sum(shared, s);
        if (Group.IdxX == 0) partials[Grid.IdxX] = s;
    }
}

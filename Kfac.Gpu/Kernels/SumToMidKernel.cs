using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>y[m] (+)= sum_{o, i} x[o, m, i] (the adjoint of broadcasting a per-channel vector) for outer &gt; 1 and
/// inner &gt; 1. One group per m (grid-stride over m); its threads stride over the outer * inner pairs (consecutive
/// threads take consecutive i) and a tree reduction combines them. The launcher maps inner = 1 to
/// <see cref="SumAxisKernel"/> and outer = 1 to <see cref="RowSumKernel"/>.</summary>
internal static class SumToMidKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, AxisArgs g) where T : unmanaged, INumber<T>
    {
        var shared = SharedMemory.Allocate<T>(KernelLimits.MaxGroupSize);
        int pairs = g.Outer * g.Inner;
        for (int m = Grid.IdxX; m < g.Dim; m += Grid.DimX)
        {
            T s = T.Zero;
            for (int l = Group.IdxX; l < pairs; l += Group.DimX)
            {
                int o = l / g.Inner, i = l - o * g.Inner;
                s += x[(o * g.Dim + m) * g.Inner + i];
            }
            s = GroupReduce.Sum(shared, s);
            if (Group.IdxX == 0) y[m] = g.Accumulate != 0 ? y[m] + s : s;
        }
    }
}

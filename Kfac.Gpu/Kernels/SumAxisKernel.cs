using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>y[o, i] (+)= sum_d x[o, d, i] with one thread per output (o, i) looping over d (grid-stride over outputs).
/// Consecutive threads read consecutive i, so the loads coalesce when inner &gt; 1 (a column sum); the launcher uses
/// <see cref="RowSumKernel"/> when inner = 1.</summary>
internal static class SumAxisKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, AxisArgs g) where T : unmanaged, INumber<T>
    {
        int outputs = g.Outer * g.Inner;
        for (int l = Grid.GlobalIndex.X; l < outputs; l += Grid.DimX * Group.DimX)
        {
            int o = l / g.Inner, i = l - o * g.Inner;
            int at = o * g.Dim * g.Inner + i;
            T s = T.Zero;
            for (int d = 0; d < g.Dim; d++, at += g.Inner) s += x[at];
            y[l] = g.Accumulate != 0 ? y[l] + s : s;
        }
    }
}

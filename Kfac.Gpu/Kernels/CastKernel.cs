using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>dst = src converted to TOut (through double), counting the NaN/Inf results into info[slot]: the float64
/// fallback of the SPD inverse rounds its result to float32 and must notice entries beyond the float range.</summary>
internal static class CastKernel
{
    public static void Run<TIn, TRealIn, TOut, TRealOut>(ArrayView<TIn> src, ArrayView<TOut> dst, int n, ArrayView<double> info, int slot)
        where TIn : unmanaged, INumber<TIn>
        where TRealIn : struct, IReal<TIn>
        where TOut : unmanaged, INumber<TOut>
        where TRealOut : struct, IReal<TOut>
    {
        var output = default(TRealOut);
        int bad = 0;
        for (int l = Grid.GlobalIndex.X; l < n; l += Grid.DimX * Group.DimX)
        {
            TOut v = output.FromDouble(default(TRealIn).ToDouble(src[l]));
            if (!output.IsFinite(v)) bad++;
            dst[l] = v;
        }
        if (bad != 0) Atomic.Add(ref info[slot], bad);
    }
}

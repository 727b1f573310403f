using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// The guarded SPD inverse's first step: w = (a + a^T) / 2 + damping I in the working precision TOut (a float input
/// is widened for the float64 retry), formed in double and rounded once, which equals the CPU's float arithmetic.
/// Every entry of a is also checked: the number of NaN/Inf entries is added to info[0] (the host reads it with the
/// factorisation's status, so the check costs no extra synchronisation). Grid-stride over the n^2 entries.
/// </summary>
internal static class SymmetrizeKernel
{
    public static void Run<TIn, TRealIn, TOut, TRealOut>(ArrayView<TIn> a, ArrayView<TOut> w, int n, double damping, ArrayView<double> info)
        where TIn : unmanaged, INumber<TIn>
        where TRealIn : struct, IReal<TIn>
        where TOut : unmanaged, INumber<TOut>
        where TRealOut : struct, IReal<TOut>
    {
        var input = default(TRealIn);
        int bad = 0, total = n * n;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int i = l / n, j = l - i * n;
            double aij = input.ToDouble(a[l]);
            if (!DeviceMath.IsFinite(aij)) bad++;
            double v = i == j ? aij + damping : 0.5 * (aij + input.ToDouble(a[j * n + i]));
            w[l] = default(TRealOut).FromDouble(v);
        }
        if (bad != 0) Atomic.Add(ref info[SpdInfo.NonFiniteInput], bad);
    }
}

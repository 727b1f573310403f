using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>The max-shifted log-sum-exp of one row, computed by a whole group (device function shared by the
/// log-softmax and log-sum-exp kernels): m = max_c x[c] (NaN propagates), then m + log sum_c exp(x[c] - m);
/// a row whose max is not finite (all -inf, or +inf/NaN present) returns the max, as the CPU backend does.</summary>
internal static class RowLogSumExp
{
    public static T Compute<T, TReal>(ArrayView<T> x, int start, int cols, ArrayView<T> shared)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var real = default(TReal);
        T max = real.FromDouble(double.NegativeInfinity);
        for (int c = Group.IdxX; c < cols; c += Group.DimX) max = GroupReduce.MaxNaN<T, TReal>(max, x[start + c]);
        max = GroupReduce.Max<T, TReal>(shared, max);
        if (!real.IsFinite(max)) return max;
        T s = T.Zero;
        for (int c = Group.IdxX; c < cols; c += Group.DimX) s += real.Exp(x[start + c] - max);
        s = GroupReduce.Sum(shared, s);
        return max + real.Log(s);
    }
}

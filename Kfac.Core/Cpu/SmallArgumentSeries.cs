using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Kfac.Cpu;

/// <summary>
/// TensorPrimitives' float tanh and log1p are computed in ways that cancel near zero (tanh(1e-6) comes out 5%
/// low, log1p(1e-18) as 0). These passes replace small arguments by their Taylor series, which are exact to
/// rounding there: tanh x = x - x^3/3 + 2x^5/15 for |x| &lt; 2^-6, log1p(e) = e - e^2/2 + e^3/3 for e &lt; 2^-10.
/// Both have 512- and 256-bit vector paths, so neither path falls back to a scalar scan of every element.
/// </summary>
internal static class SmallArgumentSeries
{
    /// <summary>y = tanh(x) where |x| &lt; 2^-6 (y already holds tanh elsewhere).</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T limit = T.CreateTruncating(1.0 / 64), third = T.CreateTruncating(1.0 / 3), c5 = T.CreateTruncating(2.0 / 15);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var vl = Vector512.Create(limit);
            var v3 = Vector512.Create(third);
            var v5 = Vector512.Create(c5);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var vx = Vector512.Create(x.Slice(i, Vector512<T>.Count));
                var small = Vector512.LessThan(Vector512.Abs(vx), vl);
                if (small == Vector512<T>.Zero) continue;
                var x2 = vx * vx;
                var series = vx * (Vector512<T>.One - x2 * (v3 - x2 * v5));
                Vector512.ConditionalSelect(small, series, Vector512.Create((ReadOnlySpan<T>)y.Slice(i, Vector512<T>.Count))).CopyTo(y[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var vl = Vector256.Create(limit);
            var v3 = Vector256.Create(third);
            var v5 = Vector256.Create(c5);
            for (; i <= x.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var vx = Vector256.Create(x.Slice(i, Vector256<T>.Count));
                var small = Vector256.LessThan(Vector256.Abs(vx), vl);
                if (small == Vector256<T>.Zero) continue;
                var x2 = vx * vx;
                var series = vx * (Vector256<T>.One - x2 * (v3 - x2 * v5));
                Vector256.ConditionalSelect(small, series, Vector256.Create((ReadOnlySpan<T>)y.Slice(i, Vector256<T>.Count))).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            T v = x[i];
            if (T.Abs(v) < limit)
            {
                T v2 = v * v;
                y[i] = v * (T.One - v2 * (third - v2 * c5));
            }
        }
    }

    /// <summary>y = log(1 + e) for e &gt;= 0 (e &lt; 2^-10 by its series, else by TensorPrimitives); e and y may alias (the
    /// arguments are then copied first, since the series needs them after y is written; pass distinct spans to skip the
    /// copy).</summary>
    public static void LogP1<T>(ReadOnlySpan<T> e, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T limit = T.CreateTruncating(1.0 / 1024), half = T.CreateTruncating(0.5), third = T.CreateTruncating(1.0 / 3);
        ReadOnlySpan<T> arg = e;
        if (e.Overlaps(y))
        {
            var copy = Scratch<T>.Second(e.Length);
            e.CopyTo(copy);
            arg = copy;
        }
        TensorPrimitives.LogP1(arg, y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var vl = Vector512.Create(limit);
            var vh = Vector512.Create(half);
            var v3 = Vector512.Create(third);
            for (; i <= arg.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var v = Vector512.Create((ReadOnlySpan<T>)arg.Slice(i, Vector512<T>.Count));
                var small = Vector512.LessThan(v, vl);
                if (small == Vector512<T>.Zero) continue;
                var series = v * (Vector512<T>.One - v * (vh - v * v3));
                Vector512.ConditionalSelect(small, series, Vector512.Create((ReadOnlySpan<T>)y.Slice(i, Vector512<T>.Count))).CopyTo(y[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var vl = Vector256.Create(limit);
            var vh = Vector256.Create(half);
            var v3 = Vector256.Create(third);
            for (; i <= arg.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var v = Vector256.Create((ReadOnlySpan<T>)arg.Slice(i, Vector256<T>.Count));
                var small = Vector256.LessThan(v, vl);
                if (small == Vector256<T>.Zero) continue;
                var series = v * (Vector256<T>.One - v * (vh - v * v3));
                Vector256.ConditionalSelect(small, series, Vector256.Create((ReadOnlySpan<T>)y.Slice(i, Vector256<T>.Count))).CopyTo(y[i..]);
            }
        }
        for (; i < arg.Length; i++)
        {
            T v = arg[i];
            if (v < limit) y[i] = v * (T.One - v * (half - v * third));
        }
    }
}

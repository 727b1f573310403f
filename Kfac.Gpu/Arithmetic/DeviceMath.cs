using ILGPU;

namespace Kfac.Gpu.Arithmetic;

/// <summary>
/// Double-precision exp, expm1, log, log1p, tanh, sigmoid and softplus built from +, *, / and bit casts only,
/// so that kernels give the same answers on every ILGPU backend.
/// <para>Why not XMath / System.Math: on the PTX backend ILGPU.Algorithms lowers float exp/log/tanh to the
/// <c>ex2.approx</c>, <c>lg2.approx</c> and <c>tanh.approx</c> instructions (tanh.approx has a relative error of
/// about 2^-11, and ex2.approx of x * log2(e) loses ~1e-5 relative accuracy for |x| near 80), and double exp/log to
/// a CORDIC iteration. The functions here are accurate to a few ulp in double; float kernels evaluate them in
/// double and round once, which matches the CPU backend (TensorPrimitives) to about one float ulp. The H200's
/// FP64 rate is half its FP32 rate and these kernels are memory bound, so the cost is negligible.</para>
/// </summary>
internal static class DeviceMath
{
    private const double Ln2Hi = 6.93147180369123816490e-01; // high bits of ln 2 (Cody-Waite split, fdlibm)
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double Log2E = 1.4426950408889634;
    private const double Sqrt2 = 1.4142135623730951;
    private const double MaxExpArgument = 709.782712893384;   // exp overflows above
    private const double MinExpArgument = -745.1332191019412; // exp underflows to 0 below
    private const double SmallestNormal = 2.2250738585072014e-308;
    private const double PositiveInfinity = double.PositiveInfinity;

    public static bool IsNaN(double x) => (Interop.FloatAsInt(x) & 0x7FFF_FFFF_FFFF_FFFFUL) > 0x7FF0_0000_0000_0000UL;

    public static bool IsFinite(double x) => (Interop.FloatAsInt(x) & 0x7FFF_FFFF_FFFF_FFFFUL) < 0x7FF0_0000_0000_0000UL;

    public static bool IsFinite(float x) => (Interop.FloatAsInt(x) & 0x7FFF_FFFFU) < 0x7F80_0000U;

    public static bool IsNaN(float x) => (Interop.FloatAsInt(x) & 0x7FFF_FFFFU) > 0x7F80_0000U;

    /// <summary>2^k for -1022 &lt;= k &lt;= 1023, built from the exponent bits.</summary>
    private static double Pow2(int k) => Interop.IntAsFloat((ulong)(k + 1023) << 52);

    /// <summary>p * 2^k for any k that keeps the result representable (handles subnormal results).</summary>
    private static double ScaleB(double p, int k)
    {
        if (k > 1023) return p * Pow2(1023) * Pow2(k - 1023);
        if (k < -1022) return p * Pow2(k + 1000) * Pow2(-1000);
        return p * Pow2(k);
    }

    /// <summary>exp(x): x = k ln2 + r with |r| &lt;= ln2/2 (Cody-Waite), exp(r) by its Taylor series to degree 13
    /// (truncation error &lt; 5e-18 relative), then scaled by 2^k.</summary>
    public static double Exp(double x)
    {
        if (IsNaN(x)) return x;
        if (x > MaxExpArgument) return PositiveInfinity;
        if (x < MinExpArgument) return 0;
        double t = x * Log2E;
        int k = (int)(t + (t >= 0 ? 0.5 : -0.5));
        double r = x - k * Ln2Hi - k * Ln2Lo;
        double p = 1.0 / 6227020800.0;          // 1/13!
        p = p * r + 1.0 / 479001600.0;          // 1/12!
        p = p * r + 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;
        p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;
        p = p * r + 1.0 / 5040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        p = p * r + 1.0;
        p = p * r + 1.0;
        return ScaleB(p, k);
    }

    /// <summary>exp(x) - 1 without cancellation for small |x| (Taylor series to degree 17 for |x| &lt; 1/2).</summary>
    public static double Expm1(double x)
    {
        if (!(x > -0.5 && x < 0.5)) return Exp(x) - 1; // also NaN
        double p = x * (1.0 / 17.0) + 1.0;
        p = p * x * (1.0 / 16.0) + 1.0;
        p = p * x * (1.0 / 15.0) + 1.0;
        p = p * x * (1.0 / 14.0) + 1.0;
        p = p * x * (1.0 / 13.0) + 1.0;
        p = p * x * (1.0 / 12.0) + 1.0;
        p = p * x * (1.0 / 11.0) + 1.0;
        p = p * x * (1.0 / 10.0) + 1.0;
        p = p * x * (1.0 / 9.0) + 1.0;
        p = p * x * (1.0 / 8.0) + 1.0;
        p = p * x * (1.0 / 7.0) + 1.0;
        p = p * x * (1.0 / 6.0) + 1.0;
        p = p * x * (1.0 / 5.0) + 1.0;
        p = p * x * (1.0 / 4.0) + 1.0;
        p = p * x * (1.0 / 3.0) + 1.0;
        p = p * x * (1.0 / 2.0) + 1.0;
        return p * x;
    }

    /// <summary>log(x): x = 2^e m with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(f), f = (m - 1)/(m + 1), |f| &lt;= 0.172,
    /// by its odd series to f^23 (truncation error &lt; 1e-19); e ln2 added in two parts.</summary>
    public static double Log(double x)
    {
        if (IsNaN(x)) return x;
        if (x < 0) return double.NaN;
        if (x == 0) return double.NegativeInfinity;
        if (x > double.MaxValue) return x;
        int e = 0;
        if (x < SmallestNormal)
        {
            x *= 18014398509481984.0; // 2^54
            e = -54;
        }
        ulong bits = Interop.FloatAsInt(x);
        e += (int)(bits >> 52) - 1023;
        double m = Interop.IntAsFloat((bits & 0x000F_FFFF_FFFF_FFFFUL) | 0x3FF0_0000_0000_0000UL);
        if (m > Sqrt2)
        {
            m *= 0.5;
            e++;
        }
        double f = (m - 1) / (m + 1);
        double s = f * f;
        double p = 1.0 / 23.0;
        p = p * s + 1.0 / 21.0;
        p = p * s + 1.0 / 19.0;
        p = p * s + 1.0 / 17.0;
        p = p * s + 1.0 / 15.0;
        p = p * s + 1.0 / 13.0;
        p = p * s + 1.0 / 11.0;
        p = p * s + 1.0 / 9.0;
        p = p * s + 1.0 / 7.0;
        p = p * s + 1.0 / 5.0;
        p = p * s + 1.0 / 3.0;
        p = p * s + 1.0;
        return e * Ln2Hi + (2 * f * p + e * Ln2Lo);
    }

    /// <summary>log(1 + y), accurate for small y (Goldberg's trick: the rounding of 1 + y is undone by y / (u - 1)).</summary>
    public static double Log1p(double y)
    {
        double u = 1 + y;
        if (u == 1) return y;
        return Log(u) * (y / (u - 1));
    }

    /// <summary>tanh(x) = expm1(2|x|) / (expm1(2|x|) + 2) with the sign of x; 1 for |x| &gt; 22.</summary>
    public static double Tanh(double x)
    {
        if (IsNaN(x)) return x;
        double a = x < 0 ? -x : x;
        double t;
        if (a > 22) t = 1;
        else
        {
            double em = Expm1(2 * a);
            t = em / (em + 2);
        }
        return x < 0 ? -t : t;
    }

    /// <summary>1 / (1 + exp(-x)), evaluated so that exp never overflows into the numerator.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0) return 1 / (1 + Exp(-x));
        double e = Exp(x);
        return e / (1 + e); // also NaN
    }

    /// <summary>softplus(x) = max(x, 0) + log1p(exp(-|x|)) (no overflow for large |x|).</summary>
    public static double Softplus(double x)
    {
        if (IsNaN(x)) return x;
        double a = x < 0 ? -x : x;
        return (x > 0 ? x : 0) + Log1p(Exp(-a));
    }
}

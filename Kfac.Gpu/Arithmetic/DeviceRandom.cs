namespace Kfac.Gpu.Arithmetic;

/// <summary>
/// Kfac.Sampling.RandomStream on the device: draw c under key k is the SplitMix64 finaliser of k + (c + 1) * golden,
/// so a kernel thread computes its own draw from its index with the same integer arithmetic as the host (uniform
/// draws are bit-identical on every backend). Normals use Box-Muller as the host does, with the cosine from
/// <see cref="CosTwoPi"/> and the logarithm from <see cref="DeviceMath"/> (equal to the host to ~1e-16 relative).
/// </summary>
internal static class DeviceRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private const double TwoPi = 6.283185307179586;

    public static ulong Bits(ulong key, ulong counter)
    {
        ulong z = key + (counter + 1) * Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Top 24 bits: a float in [0, 1) on the 2^-24 grid (exactly RandomStream.UniformSingle).</summary>
    public static float UniformSingle(ulong key, ulong counter) => (Bits(key, counter) >> 40) * (1.0f / (1 << 24));

    /// <summary>Top 53 bits: a double in [0, 1) on the 2^-53 grid (exactly RandomStream.UniformDouble).</summary>
    public static double UniformDouble(ulong key, ulong counter) => (Bits(key, counter) >> 11) * (1.0 / (1UL << 53));

    /// <summary>N(0, 1) from draws 2i and 2i + 1: sqrt(-2 log(1 - u1)) cos(2 pi u2) (RandomStream.Normal).</summary>
    public static double Normal(ulong key, ulong pairCounter)
    {
        double u1 = 1 - UniformDouble(key, 2 * pairCounter);
        double u2 = UniformDouble(key, 2 * pairCounter + 1);
        return ILGPU.Algorithms.XMath.Sqrt(-2 * DeviceMath.Log(u1)) * CosTwoPi(u2);
    }

    /// <summary>cos(2 pi u) for u in [0, 1): reduced by symmetry to an angle in [0, pi/4], where the Taylor series of
    /// cos (to degree 18) or sin (to degree 19) is accurate to a few ulp.</summary>
    public static double CosTwoPi(double u)
    {
        double t = u - (int)(u + 0.5);        // [-0.5, 0.5], same cosine
        double a = t < 0 ? -t : t;            // cos is even
        double sign = 1;
        if (a > 0.25)
        {
            a = 0.5 - a;                      // cos(2 pi a) = -cos(pi - 2 pi a)
            sign = -1;
        }
        // a in [0, 0.25]: angle in [0, pi/2]
        if (a <= 0.125) return sign * CosSeries(TwoPi * a);
        return sign * SinSeries(TwoPi * (0.25 - a)); // cos(x) = sin(pi/2 - x)
    }

    private static double CosSeries(double x)
    {
        double x2 = x * x;
        double p = -1.0 / 6402373705728000.0;  // -1/18!
        p = p * x2 + 1.0 / 20922789888000.0;     // 1/16!
        p = p * x2 - 1.0 / 87178291200.0;
        p = p * x2 + 1.0 / 479001600.0;
        p = p * x2 - 1.0 / 3628800.0;
        p = p * x2 + 1.0 / 40320.0;
        p = p * x2 - 1.0 / 720.0;
        p = p * x2 + 1.0 / 24.0;
        p = p * x2 - 0.5;
        return p * x2 + 1.0;
    }

    private static double SinSeries(double x)
    {
        double x2 = x * x;
        double p = -1.0 / 121645100408832000.0; // -1/19!
        p = p * x2 + 1.0 / 355687428096000.0;    // 1/17!
        p = p * x2 - 1.0 / 1307674368000.0;
        p = p * x2 + 1.0 / 6227020800.0;
        p = p * x2 - 1.0 / 39916800.0;
        p = p * x2 + 1.0 / 362880.0;
        p = p * x2 - 1.0 / 5040.0;
        p = p * x2 + 1.0 / 120.0;
        p = p * x2 - 1.0 / 6.0;
        return (p * x2 + 1.0) * x;
    }
}

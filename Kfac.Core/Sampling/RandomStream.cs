namespace Kfac.Sampling;

/// <summary>
/// A counter-based random stream: draw number c is a pure function of (seed, c), so any backend (CPU, GPU kernel)
/// produces the same numbers in parallel, and the whole state is two integers (checkpointed exactly).
/// Draw c = SplitMix64 finaliser of (key + (c + 1) * 0x9E3779B97F4A7C15) with key = SplitMix64(seed) (Steele,
/// Lea &amp; Flood 2014: SplitMix64 is a Weyl sequence through this mixer, which passes BigCrush). Uniforms use the top
/// 24 bits (float32) or 53 bits (float64); normals use Box-Muller on draws 2i and 2i + 1.
/// </summary>
public sealed class RandomStream
{
    /// <summary>2^64 / phi, the Weyl-sequence increment of SplitMix64.</summary>
    public const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>A stream for <paramref name="seed"/> whose next draw has counter <paramref name="offset"/>.</summary>
    public RandomStream(ulong seed, ulong offset = 0)
    {
        Seed = seed;
        Offset = offset;
    }

    /// <summary>The seed the stream's key is derived from.</summary>
    public ulong Seed { get; }

    /// <summary>The counter of the next draw.</summary>
    public ulong Offset { get; set; }

    /// <summary>The mixed key that all draws of this seed start from.</summary>
    public ulong Key => Mix(Seed);

    /// <summary>Reserves <paramref name="count"/> draws and returns the counter of the first.</summary>
    public ulong Take(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ulong first = Offset;
        Offset += (ulong)count;
        return first;
    }

    /// <summary>The 64 random bits of draw <paramref name="counter"/> under <paramref name="key"/>.</summary>
    public static ulong Bits(ulong key, ulong counter) => Mix(key + (counter + 1) * Golden);

    /// <summary>U[0, 1) float from the top 24 bits of draw <paramref name="counter"/>.</summary>
    public static float UniformSingle(ulong key, ulong counter) => (Bits(key, counter) >> 40) * (1.0f / (1 << 24));

    /// <summary>U[0, 1) double from the top 53 bits of draw <paramref name="counter"/>.</summary>
    public static double UniformDouble(ulong key, ulong counter) => (Bits(key, counter) >> 11) * (1.0 / (1UL << 53));

    /// <summary>N(0, 1) from draws 2i and 2i + 1 (Box-Muller, cosine branch).</summary>
    public static double Normal(ulong key, ulong pairCounter)
    {
        double u1 = 1 - UniformDouble(key, 2 * pairCounter); // (0, 1]: log is finite
        double u2 = UniformDouble(key, 2 * pairCounter + 1);
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>One uniform double on the host (advances the stream by one draw).</summary>
    public double NextDouble() => UniformDouble(Key, Take(1));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

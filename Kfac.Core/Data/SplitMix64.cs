namespace Kfac.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014; the seeding generator of xoshiro): a tiny, allocation-free
/// generator whose output is fixed by this code alone, so a (seed, epoch) pair gives the same shuffle on
/// every .NET version and machine; System.Random makes no such promise across runtime versions.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>A generator for one (seed, stream) pair, e.g. (user seed, epoch number): the stream number is
    /// mixed in so that consecutive epochs start far apart in the sequence.</summary>
    public static SplitMix64 ForStream(long seed, long stream)
    {
        var mixer = new SplitMix64((ulong)seed);
        return new SplitMix64(mixer.Next() ^ ((ulong)stream * 0xD1B54A32D192ED03UL));
    }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) without modulo bias: draws below the largest multiple of n under 2^64 are
    /// accepted (for n below 2^31 a rejection happens with probability under 2^-33).</summary>
    public int NextBelow(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ulong bound = (ulong)n;
        ulong remainder = (ulong.MaxValue % bound + 1) % bound; // 2^64 mod n
        ulong r;
        do r = Next();
        while (remainder != 0 && r > ulong.MaxValue - remainder);
        return (int)(r % bound);
    }

    /// <summary>Fisher-Yates: a uniformly random permutation of <paramref name="items"/> in place.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextBelow(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

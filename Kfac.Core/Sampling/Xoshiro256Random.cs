using System.Buffers.Binary;

namespace Kfac.Sampling;

/// <summary>
/// A seeded <see cref="System.Random"/> on xoshiro256** (Blackman &amp; Vigna 2021, "Scrambled linear pseudorandom
/// number generators"), the generator .NET itself uses for unseeded Random; a seeded <c>new Random(seed)</c> instead
/// runs the legacy subtractive generator, several times slower per draw. The 256-bit state is filled from the seed
/// by SplitMix64 (the seeding the authors recommend), so equal seeds give equal streams on every platform.
/// Doubles take the top 53 bits; bounded integers use Lemire's multiply-shift with rejection (unbiased).
/// </summary>
public sealed class Xoshiro256Random : System.Random
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose state is SplitMix64(seed), SplitMix64 of the next Weyl steps.</summary>
    public Xoshiro256Random(long seed)
    {
        var seeder = new Kfac.Data.SplitMix64((ulong)seed);
        _s0 = seeder.Next();
        _s1 = seeder.Next();
        _s2 = seeder.Next();
        _s3 = seeder.Next();
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        ulong result = RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 45);
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
        return result;
    }

    /// <inheritdoc/>
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc/>
    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <inheritdoc/>
    protected override double Sample() => NextDouble();

    /// <inheritdoc/>
    public override int Next() => (int)NextBounded(int.MaxValue);

    /// <inheritdoc/>
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)NextBounded((ulong)maxValue);
    }

    /// <inheritdoc/>
    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (int)((long)minValue + (long)NextBounded((ulong)((long)maxValue - minValue)));
    }

    /// <inheritdoc/>
    public override long NextInt64() => (long)NextBounded(long.MaxValue);

    /// <inheritdoc/>
    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (long)NextBounded((ulong)maxValue);
    }

    /// <inheritdoc/>
    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (long)((ulong)minValue + NextBounded((ulong)maxValue - (ulong)minValue));
    }

    /// <inheritdoc/>
    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    /// <inheritdoc/>
    public override void NextBytes(Span<byte> buffer)
    {
        while (buffer.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, NextUInt64());
            buffer = buffer[8..];
        }
        if (buffer.Length > 0)
        {
            Span<byte> last = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(last, NextUInt64());
            last[..buffer.Length].CopyTo(buffer);
        }
    }

    /// <summary>Uniform on [0, bound) (0 when bound is 0): Lemire 2019, "Fast random integer generation in an
    /// interval", the high word of x * bound, rejecting the low words below 2^64 mod bound.</summary>
    private ulong NextBounded(ulong bound)
    {
        if (bound == 0) return 0;
        ulong high = Math.BigMul(NextUInt64(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = (0 - bound) % bound;
            while (low < threshold) high = Math.BigMul(NextUInt64(), bound, out low);
        }
        return high;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}

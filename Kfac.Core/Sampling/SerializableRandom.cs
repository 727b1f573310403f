using System.Numerics;

namespace Kfac.Sampling;

/// <summary>
/// A seeded random generator whose state can be saved and restored (System.Random's cannot), so a
/// checkpointed optimizer that samples (K-FAC's sampled Fisher targets) resumes identically.
/// xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64.
/// </summary>
public sealed class SerializableRandom : System.Random
{
    private ulong _s0, _s1, _s2, _s3;

    public SerializableRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The four state words (restore with <see cref="SetState"/>).</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException($"xoshiro256 state has 4 words, got {state.Length}", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new ArgumentException("the all-zero state is invalid", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    protected override double Sample() => NextDouble();

    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    public override int Next() => (int)(NextUInt64() >> 33);

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)Bounded((ulong)maxValue);
    }

    public override int Next(int minValue, int maxValue)
    {
        if (minValue > maxValue) throw new ArgumentOutOfRangeException(nameof(minValue), $"minValue {minValue} > maxValue {maxValue}");
        return (int)(minValue + (long)Bounded((ulong)((long)maxValue - minValue)));
    }

    public override long NextInt64() => (long)(NextUInt64() >> 1);

    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (long)Bounded((ulong)maxValue);
    }

    public override long NextInt64(long minValue, long maxValue)
    {
        if (minValue > maxValue) throw new ArgumentOutOfRangeException(nameof(minValue), $"minValue {minValue} > maxValue {maxValue}");
        return minValue + (long)Bounded((ulong)(maxValue - minValue));
    }

    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());

    public override void NextBytes(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)(NextUInt64() >> 56);
    }

    /// <summary>Uniform integer in [0, bound) without modulo bias (Lemire's multiply-shift with rejection).</summary>
    private ulong Bounded(ulong bound)
    {
        if (bound <= 1) return 0;
        ulong threshold = (0 - bound) % bound;
        while (true)
        {
            ulong hi = Math.BigMul(NextUInt64(), bound, out ulong lo);
            if (lo >= threshold) return hi;
        }
    }
}

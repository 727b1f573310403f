namespace Kfac.Data;

/// <summary>
/// The stream of NumPy's legacy <c>numpy.random.RandomState(seed)</c> for the calls that published experiments use to
/// draw their data splits: the 32-bit Mersenne Twister MT19937 (Matsumoto and Nishimura 1998) seeded by
/// <c>init_genrand(seed)</c>, <c>random_sample</c> (53-bit doubles), and <c>permutation(n)</c> (a Fisher-Yates shuffle
/// of 0..n-1 from the last position down, each index drawn by masked rejection). <c>choice(n, n, replace=False)</c> is
/// <c>permutation(n)</c> in the legacy generator. Reproducing it bit for bit lets us evaluate on exactly the split a
/// paper's code used (the noisy natural gradient authors' UCI loader draws its one split from RandomState(0)).
/// </summary>
public sealed class NumpyLegacyRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _state = new uint[N];
    private int _index;

    /// <param name="seed">the integer passed to RandomState; NumPy accepts 0 .. 2^32 - 1.</param>
    public NumpyLegacyRandom(long seed)
    {
        if (seed < 0 || seed > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(seed), seed, "NumPy's RandomState takes an integer seed in 0 .. 2^32 - 1");
        // init_genrand: mt[0] = s, mt[i] = 1812433253 (mt[i-1] ^ (mt[i-1] >> 30)) + i  (mod 2^32).
        _state[0] = (uint)seed;
        for (int i = 1; i < N; i++)
            _state[i] = unchecked(1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i);
        _index = N;
    }

    /// <summary>The next 32-bit output (genrand_int32, with MT19937's tempering).</summary>
    public uint NextUInt32()
    {
        if (_index >= N) Regenerate();
        uint y = _state[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680u;
        y ^= (y << 15) & 0xEFC60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary><c>random_sample()</c>: (a 2^26 + b) / 2^53 with a, b the top 27 and 26 bits of two outputs.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /// <summary>A uniform integer in 0..max (inclusive) as NumPy's legacy <c>random_interval</c>: draw 32-bit outputs
    /// masked to the smallest all-ones number covering max until one is at most max.</summary>
    public uint Interval(uint max)
    {
        if (max == 0) return 0;
        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max) { }
        return value;
    }

    /// <summary><c>permutation(n)</c>: 0..n-1 shuffled in place by i = n-1 .. 1, j = Interval(i), swap(i, j).</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i >= 1; i--)
        {
            int j = (int)Interval((uint)i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private void Regenerate()
    {
        const uint upper = 0x80000000u, lower = 0x7FFFFFFFu, matrixA = 0x9908B0DFu;
        for (int k = 0; k < N; k++)
        {
            uint y = (_state[k] & upper) | (_state[(k + 1) % N] & lower);
            _state[k] = _state[(k + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? matrixA : 0u);
        }
        _index = 0;
    }
}

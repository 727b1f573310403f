using Kfac.Sampling;
using NUnit.Framework;

namespace Kfac.Tests.Sampling;

public class Xoshiro256RandomTests
{
    /// <summary>The oracle: the authors' reference algorithm (xoshiro256** seeded by SplitMix64) written separately in
    /// Python, seed 42, first four outputs.</summary>
    [Test]
    public void MatchesTheReferenceStream()
    {
        var rng = new Xoshiro256Random(42);
        Assert.That(rng.NextUInt64(), Is.EqualTo(0x15780b2e0c2ec716UL));
        Assert.That(rng.NextUInt64(), Is.EqualTo(0x6104d9866d113a7eUL));
        Assert.That(rng.NextUInt64(), Is.EqualTo(0xae17533239e499a1UL));
        Assert.That(rng.NextUInt64(), Is.EqualTo(0xecb8ad4703b360a1UL));
    }

    /// <summary>200 000 doubles: in [0, 1), mean 1/2 and variance 1/12 within 5 standard errors (sqrt(1/12n) and
    /// sqrt(1/180n)), and 10 equal bins each within 5 standard errors of n/10.</summary>
    [Test]
    public void DoublesAreUniform()
    {
        const int n = 200_000;
        var rng = new Xoshiro256Random(7);
        var x = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
        Assert.That(x.All(v => v >= 0 && v < 1));
        double mean = x.Average(), variance = x.Average(v => (v - 0.5) * (v - 0.5));
        Assert.That(mean, Is.EqualTo(0.5).Within(5 * Math.Sqrt(1.0 / 12 / n)));
        Assert.That(variance, Is.EqualTo(1.0 / 12).Within(5 * Math.Sqrt(1.0 / 180 / n)));
        var bins = new int[10];
        foreach (var v in x) bins[(int)(v * 10)]++;
        foreach (var c in bins) Assert.That(c, Is.EqualTo(n / 10.0).Within(5 * Math.Sqrt(n * 0.1 * 0.9)));
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(7)]
    public void BoundedIntegersCoverTheRangeEvenly(int bound)
    {
        const int n = 70_000;
        var rng = new Xoshiro256Random(bound);
        var counts = new int[bound];
        for (int i = 0; i < n; i++) counts[rng.Next(bound)]++;
        foreach (var c in counts) Assert.That(c, Is.EqualTo(n / (double)bound).Within(5 * Math.Sqrt(n / (double)bound) + 1e-9));
        for (int i = 0; i < 1000; i++)
        {
            int v = rng.Next(-3, 4);
            Assert.That(v, Is.InRange(-3, 3));
            long w = rng.NextInt64(long.MinValue, long.MaxValue);
            Assert.That(w, Is.LessThan(long.MaxValue));
        }
        Assert.That(rng.Next(0), Is.EqualTo(0));
        Assert.That(rng.Next(5, 5), Is.EqualTo(5));
    }

    [Test]
    public void EqualSeedsGiveEqualStreamsAndShuffles()
    {
        var a = new Xoshiro256Random(-5);
        var b = new Xoshiro256Random(-5);
        var x = Enumerable.Range(0, 50).ToArray();
        var y = Enumerable.Range(0, 50).ToArray();
        a.Shuffle(x);
        b.Shuffle(y);
        Assert.That(y, Is.EqualTo(x));
        Assert.That(x, Is.Not.EqualTo(Enumerable.Range(0, 50).ToArray()));
        var bytesA = new byte[13];
        var bytesB = new byte[13];
        a.NextBytes(bytesA);
        b.NextBytes(bytesB);
        Assert.That(bytesB, Is.EqualTo(bytesA));
        Assert.That(new Xoshiro256Random(1).NextUInt64(), Is.Not.EqualTo(new Xoshiro256Random(2).NextUInt64()));
    }

    [Test]
    public void RejectsBadBounds()
    {
        var rng = new Xoshiro256Random(0);
        Assert.That(() => rng.Next(-1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("maxValue"));
        Assert.That(() => rng.Next(5, 4), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("minValue"));
    }
}

using Kfac.Data;
using NUnit.Framework;

namespace Kfac.Tests.Data;

/// <summary>NumPy's legacy RandomState stream, against published outputs: the C++ standard's check value of MT19937
/// (the 10000th output from the default seed 5489 is 4123659995, [rand.predef]), and NumPy's own
/// <c>RandomState(0).random_sample()</c>, <c>RandomState(0).permutation(10)</c> and <c>RandomState(42).permutation(10)</c>.</summary>
public class NumpyLegacyRandomTests
{
    [Test]
    public void TheMersenneTwisterMatchesTheCxxStandardsCheckValue()
    {
        var r = new NumpyLegacyRandom(5489);
        Assert.That(r.NextUInt32(), Is.EqualTo(3499211612u));
        for (int i = 2; i < 10000; i++) r.NextUInt32();
        Assert.That(r.NextUInt32(), Is.EqualTo(4123659995u));
    }

    [Test]
    public void RandomSampleMatchesNumpy()
    {
        var r = new NumpyLegacyRandom(0);
        Assert.That(r.NextDouble(), Is.EqualTo(0.5488135039273248));
        Assert.That(r.NextDouble(), Is.EqualTo(0.7151893663724195));
        Assert.That(r.NextDouble(), Is.EqualTo(0.6027633760716439));
    }

    [TestCase(0, new[] { 2, 8, 4, 9, 1, 6, 7, 3, 0, 5 })]
    [TestCase(42, new[] { 8, 1, 5, 0, 7, 2, 9, 4, 3, 6 })]
    public void PermutationMatchesNumpy(int seed, int[] expected)
    {
        Assert.That(new NumpyLegacyRandom(seed).Permutation(10), Is.EqualTo(expected));
    }

    [Test]
    public void IntervalStaysInRangeAndPermutationIsAPermutation()
    {
        var r = new NumpyLegacyRandom(7);
        foreach (uint max in new uint[] { 0, 1, 2, 5, 1000, uint.MaxValue })
            for (int i = 0; i < 200; i++) Assert.That(r.Interval(max), Is.LessThanOrEqualTo(max));
        var p = new NumpyLegacyRandom(3).Permutation(1031);
        Assert.That(p.OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, 1031)));
        Assert.That(new NumpyLegacyRandom(3).Permutation(1), Is.EqualTo(new[] { 0 }));
        Assert.That(() => new NumpyLegacyRandom(-1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("seed"));
    }
}

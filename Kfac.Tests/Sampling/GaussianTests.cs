using Kfac.Sampling;
using NUnit.Framework;

namespace Kfac.Tests.Sampling;

/// <summary>Statistical tests of the normal samplers. n = 200 000 draws: the standard errors of the mean, variance,
/// third and fourth moments and lag-1 correlation are 1/sqrt(n), sqrt(2/n), sqrt(15/n), sqrt(96/n) and 1/sqrt(n)
/// (0.0022, 0.0032, 0.0087, 0.022, 0.0022); each check allows 5 standard errors (false alarm below 1e-6 each).</summary>
public class GaussianTests
{
    private const int N = 200_000;

    [Test]
    public void FillHasStandardNormalMoments()
    {
        var x = new double[N];
        Gaussian.Fill(new Random(11), x);
        AssertStandardNormal(x);
    }

    [Test]
    public void SampleHasStandardNormalMoments()
    {
        var rng = new Random(12);
        AssertStandardNormal(Enumerable.Range(0, N).Select(_ => Gaussian.Sample(rng)).ToArray());
    }

    /// <summary>Pair members (cos and sin of one angle) and neighbouring pairs are uncorrelated, including across chunks.</summary>
    [Test]
    public void FillPairsAndNeighboursAreUncorrelated()
    {
        var x = new double[N];
        Gaussian.Fill(new Random(13), x);
        for (int lag = 1; lag <= 3; lag++)
        {
            double c = 0;
            for (int i = 0; i + lag < N; i++) c += x[i] * x[i + lag];
            Assert.That(c / (N - lag), Is.EqualTo(0).Within(5 / Math.Sqrt(N)), $"lag {lag}");
        }
        // Even positions (cosines) and odd positions (sines) each are N(0, 1) on their own.
        AssertStandardNormal(x.Where((_, i) => i % 2 == 0).ToArray(), slack: Math.Sqrt(2));
        AssertStandardNormal(x.Where((_, i) => i % 2 == 1).ToArray(), slack: Math.Sqrt(2));
    }

    /// <summary>The empirical CDF against Phi at 13 points (Kolmogorov-Smirnov style: |F_n - Phi| below 5 sqrt(p(1-p)/n)).</summary>
    [Test]
    public void FillMatchesTheNormalCdf()
    {
        var x = new double[N];
        Gaussian.Fill(new Random(14), x);
        foreach (double z in new[] { -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3 })
        {
            double p = NormalCdf(z), f = x.Count(v => v <= z) / (double)N;
            Assert.That(f, Is.EqualTo(p).Within(5 * Math.Sqrt(p * (1 - p) / N)), $"z = {z}");
        }
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(7)]
    [TestCase(255)]
    [TestCase(256)]
    [TestCase(257)]
    public void FillWritesEveryEntryFinitelyAndOnlyThose(int length)
    {
        var buffer = Enumerable.Repeat(double.NaN, length + 2).ToArray();
        Gaussian.Fill(new Random(15), buffer.AsSpan(1, length));
        Assert.That(double.IsNaN(buffer[0]) && double.IsNaN(buffer[^1]), "wrote outside the span");
        for (int i = 1; i <= length; i++) Assert.That(double.IsFinite(buffer[i]), $"entry {i - 1} is {buffer[i]}");
    }

    [Test]
    public void FillIsDeterministicForASeed()
    {
        var a = new double[1001];
        var b = new double[1001];
        Gaussian.Fill(new Random(3), a);
        Gaussian.Fill(new Random(3), b);
        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void FillRejectsNullGenerator() =>
        Assert.That(() => Gaussian.Fill(null!, new double[2]), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("rng"));

    private static void AssertStandardNormal(double[] x, double slack = 1)
    {
        int n = x.Length;
        double m1 = x.Average(), m2 = x.Average(v => v * v), m3 = x.Average(v => v * v * v), m4 = x.Average(v => v * v * v * v);
        Assert.That(m1, Is.EqualTo(0).Within(slack * 5 / Math.Sqrt(n)), "mean");
        Assert.That(m2, Is.EqualTo(1).Within(slack * 5 * Math.Sqrt(2.0 / n)), "second moment");
        Assert.That(m3, Is.EqualTo(0).Within(slack * 5 * Math.Sqrt(15.0 / n)), "third moment");
        Assert.That(m4, Is.EqualTo(3).Within(slack * 5 * Math.Sqrt(96.0 / n)), "fourth moment");
    }

    /// <summary>Phi(z) = erfc(-z / sqrt 2) / 2 with erfc by the Numerical Recipes Chebyshev fit (relative error below 1.2e-7).</summary>
    private static double NormalCdf(double z)
    {
        double x = -z / Math.Sqrt(2), t = 1 / (1 + 0.5 * Math.Abs(x));
        double y = t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
            + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        double erfc = x >= 0 ? y : 2 - y;
        return erfc / 2;
    }
}

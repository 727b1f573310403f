using System.Runtime.Intrinsics;
using Kfac.Cpu;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>The AVX2 path's float exp and sigmoid (<see cref="FloatSigmoid256"/>) against Math in double over a dense
/// sweep, the saturated tails, the special values and every tail length.</summary>
public class FloatSigmoid256Tests
{
    [SetUp]
    public void RequireVectors()
    {
        if (!Vector256.IsHardwareAccelerated) Assert.Ignore("256-bit vectors are not accelerated on this machine");
    }

    private static double Exact(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>401 001 arguments from -100 to 100: relative error at most 4e-7 (about 3 ulp) wherever the exact value
    /// is a normal float; below that (x &lt; -87.3, values &lt; 1.2e-38) an absolute error under 1.2e-38.</summary>
    [Test]
    public void SigmoidIsWithinAFewUlpEverywhere()
    {
        int n = 401_001;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(-100 + 200.0 * i / (n - 1));
        var y = new float[n];
        FloatSigmoid256.Sigmoid(x, y);
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            double e = Exact(x[i]);
            if (e < 1.1754944e-38)
            {
                Assert.That(Math.Abs(y[i] - e), Is.LessThan(1.2e-38), $"x = {x[i]:R}");
                continue;
            }
            double rel = Math.Abs(y[i] - e) / e;
            worst = Math.Max(worst, rel);
            Assert.That(rel, Is.LessThanOrEqualTo(4e-7), $"x = {x[i]:R}: {y[i]:R} against {e:R}");
        }
        TestContext.Out.WriteLine($"largest relative error {worst:G3}");
    }

    [Test]
    public void SpecialValuesAndEveryTailLength()
    {
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e-30f, -1e-30f, 88.5f, -88.5f, 200f, -200f];
        var y = new float[special.Length];
        FloatSigmoid256.Sigmoid(special, y);
        Assert.That(float.IsNaN(y[0]), Is.True, "NaN stays NaN");
        Assert.That(y[1], Is.EqualTo(1f), "sigmoid(+inf)");
        Assert.That(y[2], Is.EqualTo(0f), "sigmoid(-inf)");
        Assert.That(y[3], Is.EqualTo(0.5f));
        Assert.That(y[4], Is.EqualTo(0.5f));
        Assert.That(y[5], Is.EqualTo(0.5f));
        Assert.That(y[6], Is.EqualTo(0.5f));
        Assert.That(y[7], Is.EqualTo(1f));
        Assert.That(y[8], Is.LessThan(1.2e-38f).And.GreaterThanOrEqualTo(0f));
        Assert.That(y[9], Is.EqualTo(1f));
        Assert.That(y[10], Is.EqualTo(0f));
        for (int length = 1; length <= 17; length++)
        {
            var x = Enumerable.Range(0, length).Select(i => (float)(0.37 * i - 3)).ToArray();
            var got = new float[length + 1];
            got[length] = 42f;
            FloatSigmoid256.Sigmoid(x, got);
            for (int i = 0; i < length; i++)
                Assert.That(got[i], Is.EqualTo(Exact(x[i])).Within(4e-7 * Exact(x[i])), $"length {length}, element {i}");
            Assert.That(got[length], Is.EqualTo(42f), $"length {length}: nothing written past the end");
        }
    }
}

using System.Runtime.Intrinsics;
using Kfac.Cpu;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>The AVX2 path's float tanh (<see cref="FloatTanh256"/>) against Math.Tanh in double: a dense sweep, both
/// sides of the branch point 0.625, tiny arguments (where a tanh built from exp cancels), the special values and every
/// tail length.</summary>
public class FloatTanh256Tests
{
    [SetUp]
    public void RequireVectors()
    {
        if (!Vector256.IsHardwareAccelerated) Assert.Ignore("256-bit vectors are not accelerated on this machine");
    }

    /// <summary>Relative error at most 3e-7 (about 2.5 ulp; Cephes states 1.3e-7 rms for tanhf) at each argument.</summary>
    private static double WorstRelativeError(float[] x)
    {
        var y = new float[x.Length];
        FloatTanh256.Tanh(x, y);
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Tanh(x[i]);
            double rel = e == 0 ? Math.Abs(y[i]) : Math.Abs(y[i] - e) / Math.Abs(e);
            worst = Math.Max(worst, rel);
            Assert.That(rel, Is.LessThanOrEqualTo(3e-7), $"x = {x[i]:R}: {y[i]:R} against {e:R}");
        }
        return worst;
    }

    /// <summary>400 001 arguments from -20 to 20.</summary>
    [Test]
    public void TanhIsWithinAFewUlpEverywhere()
    {
        int n = 400_001;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(-20 + 40.0 * i / (n - 1));
        TestContext.Out.WriteLine($"largest relative error {WorstRelativeError(x):G3}");
    }

    /// <summary>Every float within 4096 ulp of the branch point on both sides, and arguments from 1e-30 to 0.5 on a
    /// geometric grid (the runtime's tanh was 5% low at 1e-6).</summary>
    [Test]
    public void BranchPointAndTinyArguments()
    {
        var near = new List<float>();
        for (int sign = -1; sign <= 1; sign += 2)
            for (int k = -4096; k <= 4096; k++)
                near.Add(sign * BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(0.625f) + k));
        WorstRelativeError(near.ToArray());
        var tiny = Enumerable.Range(0, 2001).Select(i => (float)Math.Pow(10, -30 + 29.7 * i / 2000)).ToList();
        tiny.AddRange(tiny.Select(v => -v).ToList());
        tiny.Add(float.Epsilon);
        tiny.Add(-float.Epsilon);
        var t = tiny.ToArray();
        WorstRelativeError(t);
        var y = new float[t.Length];
        FloatTanh256.Tanh(t, y);
        for (int i = 0; i < t.Length; i++)
            if (Math.Abs(t[i]) < 1e-4f) Assert.That(y[i], Is.EqualTo(t[i]), $"tanh x = x to rounding for x = {t[i]:R}");
    }

    [Test]
    public void SpecialValuesAndEveryTailLength()
    {
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 44f, -44f, 1e30f, -1e30f];
        var y = new float[special.Length];
        FloatTanh256.Tanh(special, y);
        Assert.That(float.IsNaN(y[0]), Is.True, "NaN stays NaN");
        Assert.That(y[1], Is.EqualTo(1f), "tanh(+inf)");
        Assert.That(y[2], Is.EqualTo(-1f), "tanh(-inf)");
        Assert.That(BitConverter.SingleToInt32Bits(y[3]), Is.EqualTo(0), "tanh(+0) = +0");
        Assert.That(BitConverter.SingleToInt32Bits(y[4]), Is.EqualTo(BitConverter.SingleToInt32Bits(-0f)), "tanh(-0) = -0");
        Assert.That(y[5], Is.EqualTo(1f));
        Assert.That(y[6], Is.EqualTo(-1f));
        Assert.That(y[7], Is.EqualTo(1f));
        Assert.That(y[8], Is.EqualTo(-1f));
        for (int length = 1; length <= 17; length++)
        {
            var x = Enumerable.Range(0, length).Select(i => (float)(0.37 * i - 3)).ToArray();
            var got = new float[length + 1];
            got[length] = 42f;
            FloatTanh256.Tanh(x, got);
            for (int i = 0; i < length; i++)
                Assert.That(got[i], Is.EqualTo(Math.Tanh(x[i])).Within(3e-7 * Math.Abs(Math.Tanh(x[i]))), $"length {length}, element {i}");
            Assert.That(got[length], Is.EqualTo(42f), $"length {length}: nothing written past the end");
        }
    }

    /// <summary>In place (y aliasing x) gives the same values as out of place.</summary>
    [Test]
    public void InPlaceEqualsOutOfPlace()
    {
        var x = Enumerable.Range(0, 1003).Select(i => (float)Math.Sin(0.7 * i) * 5).ToArray();
        var y = new float[x.Length];
        FloatTanh256.Tanh(x, y);
        FloatTanh256.Tanh(x, x);
        Assert.That(x, Is.EqualTo(y));
    }
}

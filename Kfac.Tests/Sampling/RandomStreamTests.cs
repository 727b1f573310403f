using Kfac.Sampling;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Sampling;

public class RandomStreamTests
{
    [Test]
    public void DrawsArePureFunctionsOfSeedAndCounter()
    {
        var a = Tensor.Empty(new Shape(1000));
        var b = Tensor.Empty(new Shape(1000));
        var key = new RandomStream(42).Key;
        a.Backend.FillUniform(a, key, 5000);
        b.Backend.FillUniform(b, key, 5000);
        Assert.That(b.ToArray<float>(), Is.EqualTo(a.ToArray<float>()));
        var va = a.ToArray<float>();
        for (int i = 0; i < 1000; i++) Assert.That(va[i], Is.EqualTo(RandomStream.UniformSingle(key, 5000 + (ulong)i)));
        // A shifted window of the same stream overlaps exactly.
        var c = Tensor.Empty(new Shape(10));
        c.Backend.FillUniform(c, key, 5003);
        Assert.That(c.ToArray<float>(), Is.EqualTo(va.Skip(3).Take(10).ToArray()));
    }

    /// <summary>Long fills are split across threads: every element must still be draw number offset + i.</summary>
    [Test]
    public void ParallelFillsAreTheSameDraws([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        const int n = 300_001;
        var x = Tensor.Empty(new Shape(n), dtype);
        var key = new RandomStream(7).Key;
        x.Backend.FillUniform(x, key, 123);
        if (dtype == DType.Float64)
        {
            var v = x.ToArray<double>();
            for (int i = 0; i < n; i += 997) Assert.That(v[i], Is.EqualTo(RandomStream.UniformDouble(key, 123 + (ulong)i)));
            Assert.That(v[n - 1], Is.EqualTo(RandomStream.UniformDouble(key, 123 + (ulong)(n - 1))));
        }
        else
        {
            var v = x.ToArray<float>();
            for (int i = 0; i < n; i += 997) Assert.That(v[i], Is.EqualTo(RandomStream.UniformSingle(key, 123 + (ulong)i)));
            Assert.That(v[n - 1], Is.EqualTo(RandomStream.UniformSingle(key, 123 + (ulong)(n - 1))));
        }
    }

    /// <summary>The vectorised comparison against the scalar definition, with ties, NaNs and ragged lengths.</summary>
    [Test]
    public void LessThanIsOneWhereStrictlyLess([Values(1, 17, 1000)] int n, [Values(DType.Float32, DType.Float64)] DType dtype)
    {
        var rng = new System.Random(n);
        double[] a = new double[n], b = new double[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = rng.Next(4) / 4.0;
            b[i] = i % 7 == 0 ? a[i] : rng.Next(4) / 4.0;
            if (i % 11 == 5) a[i] = double.NaN;
            if (i % 13 == 6) b[i] = double.NaN;
        }
        var ta = Tensor.FromArray<double>(a, new Shape(n)).To(dtype);
        var tb = Tensor.FromArray<double>(b, new Shape(n)).To(dtype);
        var r = Tensor.Empty(new Shape(n), dtype);
        ta.Backend.LessThan(ta, tb, r);
        var got = r.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < n; i++) Assert.That(got[i], Is.EqualTo(a[i] < b[i] ? 1.0 : 0.0), $"element {i}: {a[i]} < {b[i]}");
    }

    [Test]
    public void TakeAdvancesTheOffset()
    {
        var s = new RandomStream(1, 10);
        Assert.That(s.Take(5), Is.EqualTo(10UL));
        Assert.That(s.Take(3), Is.EqualTo(15UL));
        Assert.That(s.Offset, Is.EqualTo(18UL));
    }

    /// <summary>Moments of 10^6 draws: uniform mean 1/2 and variance 1/12, normal mean 0, variance 1, and
    /// kurtosis 3, each within 6 standard errors; lag-1 correlation near 0.</summary>
    [Test]
    public void UniformAndNormalMoments()
    {
        const int n = 1_000_000;
        var u = Tensor.Empty(new Shape(n), DType.Float64);
        u.Backend.FillUniform(u, new RandomStream(7).Key, 0);
        var x = u.ToArray<double>();
        double mean = x.Average(), variance = x.Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(x.Min(), Is.GreaterThanOrEqualTo(0));
        Assert.That(x.Max(), Is.LessThan(1));
        Assert.That(mean, Is.EqualTo(0.5).Within(6 * Math.Sqrt(1.0 / 12 / n)));
        Assert.That(variance, Is.EqualTo(1.0 / 12).Within(6 * Math.Sqrt(1.0 / 180 / n)));
        double lag = 0;
        for (int i = 1; i < n; i++) lag += (x[i] - 0.5) * (x[i - 1] - 0.5);
        Assert.That(lag / n / (1.0 / 12), Is.EqualTo(0).Within(6 / Math.Sqrt(n)));

        var g = Tensor.Empty(new Shape(n), DType.Float64);
        g.Backend.FillNormal(g, new RandomStream(8).Key, 0);
        var z = g.ToArray<double>();
        double zm = z.Average(), zv = z.Select(v => (v - zm) * (v - zm)).Average(), k4 = z.Select(v => Math.Pow(v - zm, 4)).Average() / (zv * zv);
        Assert.That(zm, Is.EqualTo(0).Within(6 / Math.Sqrt(n)));
        Assert.That(zv, Is.EqualTo(1).Within(6 * Math.Sqrt(2.0 / n)));
        Assert.That(k4, Is.EqualTo(3).Within(6 * Math.Sqrt(24.0 / n)));
    }

    [Test]
    public void LessThanAndCategoricalSampling()
    {
        var a = Tensor.FromArray(new[] { 0.1f, 0.5f, 0.9f }, 3);
        var b = Tensor.FromArray(new[] { 0.2f, 0.5f, 0.3f }, 3);
        var r = Tensor.Empty(new Shape(3));
        r.Backend.LessThan(a, b, r);
        Assert.That(r.ToArray<float>(), Is.EqualTo(new[] { 1f, 0f, 0f }));

        var p = Tensor.FromArray(new[] { 0.2f, 0.3f, 0.5f, 1f, 0f, 0f }, 2, 3);
        var u = Tensor.FromArray(new[] { 0.45f, 0.99f }, 2);
        var onehot = Tensor.Empty(new Shape(2, 3));
        onehot.Backend.SampleCategorical(p, u, 2, 3, onehot);
        Assert.That(onehot.ToArray<float>(), Is.EqualTo(new[] { 0f, 1f, 0f, 1f, 0f, 0f }));
    }
}

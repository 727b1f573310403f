using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Conv;

/// <summary>The KFC assumption diagnostic: spatial autocorrelation on inputs whose correlation is known.</summary>
public class SpatialCorrelationTests
{
    private static readonly IReadOnlyList<(int Dy, int Dx)> Offsets = SpatialCorrelation.Square(1);

    private static int Index(int dy, int dx) => (dy + 1) * 3 + dx + 1;

    [Test]
    public void IndependentNoiseIsUncorrelatedAwayFromZero()
    {
        var rng = new System.Random(1);
        var z = Enumerable.Range(0, 64 * 2 * 12 * 12).Select(_ => Kfac.Sampling.Gaussian.Sample(rng) + 3).ToArray();
        var rho = SpatialCorrelation.Autocorrelation(z, 64, 2, 12, 12, Offsets);
        Assert.That(rho[Index(0, 0)], Is.EqualTo(1).Within(1e-12));
        for (int i = 0; i < rho.Length; i++)
            if (i != Index(0, 0)) Assert.That(Math.Abs(rho[i]), Is.LessThan(0.05), $"offset {Offsets[i]}");
    }

    [Test]
    public void KnownPatternsGiveExactCorrelations()
    {
        // Checkerboard +-1 times a random sign per image: neighbours anticorrelated, diagonals correlated.
        // Constant planes (one random value per image): correlation 1 at every offset.
        int n = 5, h = 4, w = 5;
        var rng = new System.Random(2);
        var z = new double[n * 2 * h * w];
        for (int i = 0; i < n; i++)
        {
            double sign = i % 2 == 0 ? 1 : -1, level = Kfac.Sampling.Gaussian.Sample(rng);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    z[((i * 2 + 0) * h + y) * w + x] = sign * ((x + y) % 2 == 0 ? 1 : -1);
                    z[((i * 2 + 1) * h + y) * w + x] = level;
                }
        }
        var rho1 = SpatialCorrelation.Autocorrelation(z.AsSpan(), n, 2, h, w, Offsets);
        var constant = new double[n * h * w];
        var checker = new double[n * h * w];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < h * w; p++)
            {
                checker[i * h * w + p] = z[(i * 2 + 0) * h * w + p];
                constant[i * h * w + p] = z[(i * 2 + 1) * h * w + p];
            }
        var rc = SpatialCorrelation.Autocorrelation(constant, n, 1, h, w, Offsets);
        Assert.That(rc, Is.All.EqualTo(1).Within(1e-12), "constant planes are perfectly correlated");
        var rk = SpatialCorrelation.Autocorrelation(checker, n, 1, h, w, Offsets);
        // Each 4 x 5 checkerboard has as many +1 as -1, so it is centred with variance 1.
        Assert.That(rk[Index(0, 1)], Is.EqualTo(-1).Within(1e-12));
        Assert.That(rk[Index(1, 0)], Is.EqualTo(-1).Within(1e-12));
        Assert.That(rk[Index(1, -1)], Is.EqualTo(1).Within(1e-12));
        for (int i = 0; i < rho1.Length; i++) Assert.That(rho1[i], Is.EqualTo((rc[i] + rk[i]) / 2).Within(1e-12), "the mean over channels");
    }

    [Test]
    public void MeasuresEveryConvolutionOfACapturedBatch()
    {
        var net = new Sequential(
            new Conv2d(2, 3, 3, padding: 1, rng: new System.Random(3), dtype: DType.Float64), new Relu(),
            new Conv2d(3, 2, 3, padding: 1, rng: new System.Random(4), dtype: DType.Float64), new Tanh(),
            new Flatten(), new Dense(2 * 5 * 5, 3, rng: new System.Random(5), dtype: DType.Float64));
        var x = ConvTestKit.Images(6, 2, 5, 5, seed: 6);
        var captures = Curvature.CurvatureTestKit.Capture(net, new SoftmaxCrossEntropy(), x, FisherEstimation.Sampled);
        var results = SpatialCorrelation.Measure(captures, radius: 2);
        Assert.That(results, Has.Count.EqualTo(2));
        foreach (var r in results)
        {
            Assert.That(r.Offsets, Has.Count.EqualTo(25));
            Assert.That(r.ActivationCorrelation[12], Is.EqualTo(1).Within(1e-12));
            Assert.That(r.DerivativeCorrelation[12], Is.EqualTo(1).Within(1e-12));
            for (int i = 0; i < 25; i++)
            {
                Assert.That(r.ActivationCorrelation[i], Is.EqualTo(r.ActivationCorrelation[24 - i]).Within(1e-12), "rho(-d) = rho(d)");
                Assert.That(r.DerivativeCorrelation[i], Is.EqualTo(r.DerivativeCorrelation[24 - i]).Within(1e-12));
            }
            Assert.That(r.ToString(), Does.Contain("activations a").And.Contain("derivatives g").And.Contain(r.Layer).And.Contain("  1.0000"));
        }
        Assert.That(results[0].Layer, Does.Contain("Conv2d(2 -> 3"));
        var list = new SpatialCorrelation("layer", [(0, 1), (2, 0)], [0.5, 0.25], [0.125, -0.5]).ToString();
        Assert.That(list, Does.Contain("(0, 1)").And.Contain("0.5000").And.Contain("-0.5000"), "offsets that are not a full square are listed");
    }
}

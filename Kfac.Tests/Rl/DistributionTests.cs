using Kfac.Autodiff;
using Kfac.Rl.Distributions;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>Categorical and diagonal-Gaussian heads: log-probabilities and entropies against closed forms,
/// their gradients against central differences (double), and sampling against the distribution (stated
/// tolerances).</summary>
public class DistributionTests
{
    private static Tensor Random64(System.Random rng, params int[] shape) => Tensor.RandN(new Shape(shape), rng, dtype: DType.Float64);

    [Test]
    public void CategoricalLogProbAndEntropyMatchClosedForms()
    {
        var rng = new System.Random(1);
        using var logits = Random64(rng, 5, 4);
        var d = new Categorical(logits);
        int[] actions = [0, 3, 2, 1, 3];
        var lp = d.LogProb(actions).ToDoubleArray();
        var h = d.Entropy().ToDoubleArray();
        var z = logits.ToDoubleArray();
        for (int b = 0; b < 5; b++)
        {
            var row = z.Skip(b * 4).Take(4).ToArray();
            double lse = Math.Log(row.Sum(Math.Exp));
            Assert.That(lp[b], Is.EqualTo(row[actions[b]] - lse).Within(1e-12));
            Assert.That(h[b], Is.EqualTo(-row.Sum(x => Math.Exp(x - lse) * (x - lse))).Within(1e-12));
        }
    }

    [Test]
    public void CategoricalGradientsMatchFiniteDifferences()
    {
        var rng = new System.Random(2);
        int[] actions = [1, 0, 2];
        var r1 = GradCheck.Run(x => new Categorical(x[0]).LogProb(actions), [Random64(rng, 3, 3)]);
        Assert.That(r1.Passed(1e-6), Is.True, r1.Detail);
        var r2 = GradCheck.Run(x => new Categorical(x[0]).Entropy(), [Random64(rng, 3, 3)]);
        Assert.That(r2.Passed(1e-6), Is.True, r2.Detail);
    }

    [Test]
    public void CategoricalSamplesFollowTheProbabilities()
    {
        // 40 000 draws from one row; each frequency has sd sqrt(p(1 - p)/n) <= 0.0025: allow 5 sd.
        double[] p = [0.1, 0.2, 0.3, 0.4];
        using var logits = Tensor.FromDoubles(p.Select(x => Math.Log(x)).ToArray(), new Shape(1, 4), DType.Float64);
        var d = new Categorical(logits);
        var counts = new int[4];
        var rng = new System.Random(3);
        Span<int> a = stackalloc int[1];
        const int n = 40_000;
        for (int i = 0; i < n; i++) { d.Sample(rng, a); counts[a[0]]++; }
        for (int k = 0; k < 4; k++)
            Assert.That((double)counts[k] / n, Is.EqualTo(p[k]).Within(5 * Math.Sqrt(p[k] * (1 - p[k]) / n)), $"action {k}");
        d.Mode(a);
        Assert.That(a[0], Is.EqualTo(3));
    }

    [Test]
    public void GaussianLogProbAndEntropyMatchClosedForms()
    {
        var rng = new System.Random(4);
        using var mean = Random64(rng, 3, 2);
        using var logStd = Tensor.FromDoubles([0.3, -0.7], new Shape(2), DType.Float64);
        var d = new DiagonalGaussian(mean, logStd);
        double[] a = [0.1, -0.2, 1.5, 0.3, -2.0, 0.0];
        var lp = d.LogProb(a).ToDoubleArray();
        var mu = mean.ToDoubleArray();
        double[] sigma = [Math.Exp(0.3), Math.Exp(-0.7)];
        for (int b = 0; b < 3; b++)
        {
            double expected = 0;
            for (int k = 0; k < 2; k++)
            {
                double s = sigma[k], x = a[b * 2 + k] - mu[b * 2 + k];
                expected += Math.Log(Math.Exp(-x * x / (2 * s * s)) / (s * Math.Sqrt(2 * Math.PI)));
            }
            Assert.That(lp[b], Is.EqualTo(expected).Within(1e-12));
        }
        double h = d.Entropy().Item();
        Assert.That(h, Is.EqualTo(sigma.Sum(s => 0.5 * Math.Log(2 * Math.PI * Math.E * s * s))).Within(1e-12));
    }

    [Test]
    public void GaussianGradientsMatchFiniteDifferences()
    {
        var rng = new System.Random(5);
        double[] a = [0.4, -1.1, 0.2, 0.9, -0.3, 0.5];
        var r = GradCheck.Run(x => new DiagonalGaussian(x[0], x[1]).LogProb(a), [Random64(rng, 2, 3), Random64(rng, 3)]);
        Assert.That(r.Passed(1e-6), Is.True, r.Detail);
        var rh = GradCheck.Run(x => new DiagonalGaussian(x[0], x[1]).Entropy(), [Random64(rng, 2, 3), Random64(rng, 3)]);
        Assert.That(rh.Passed(1e-6), Is.True, rh.Detail);
    }

    [Test]
    public void GaussianSamplesHaveTheRightMeanAndStd()
    {
        // 40 000 draws per coordinate: the sample mean has sd sigma/200, the sample std sd ~ sigma/283; allow 5 sd.
        using var mean = Tensor.FromDoubles([1.0, -2.0], new Shape(1, 2), DType.Float64);
        using var logStd = Tensor.FromDoubles([Math.Log(0.5), Math.Log(2.0)], new Shape(2), DType.Float64);
        var d = new DiagonalGaussian(mean, logStd);
        var rng = new System.Random(6);
        const int n = 40_000;
        var xs = new double[n, 2];
        Span<double> a = stackalloc double[2];
        for (int i = 0; i < n; i++) { d.Sample(rng, a); xs[i, 0] = a[0]; xs[i, 1] = a[1]; }
        double[] mu = [1.0, -2.0], sd = [0.5, 2.0];
        for (int k = 0; k < 2; k++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < n; i++) m += xs[i, k];
            m /= n;
            for (int i = 0; i < n; i++) v += (xs[i, k] - m) * (xs[i, k] - m);
            double s = Math.Sqrt(v / (n - 1));
            Assert.That(m, Is.EqualTo(mu[k]).Within(5 * sd[k] / Math.Sqrt(n)));
            Assert.That(s, Is.EqualTo(sd[k]).Within(5 * sd[k] / Math.Sqrt(2.0 * n)));
        }
    }

    [Test]
    public void ShapeErrorsNameTheShapes()
    {
        using var mean = Tensor.Zeros(new Shape(2, 3));
        using var logStd = Tensor.Zeros(new Shape(2));
        var ex = Assert.Throws<ShapeMismatchException>(() => _ = new DiagonalGaussian(mean, logStd));
        Assert.That(ex!.Message, Does.Contain("[2]").And.Contain("[2, 3]"));
        var c = new Categorical(mean);
        Assert.Throws<ArgumentException>(() => c.LogProb([0]));
    }
}

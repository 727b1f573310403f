using Kfac.Bayes;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Bayes.BayesTestKit;

namespace Kfac.Tests.Bayes;

/// <summary>Bayes by Backprop's reparameterised gradient with the noise held fixed equals central differences of the
/// per-datum negative ELBO F(mu, rho) = L(mu + softplus(rho) eps) + (lambda/N) KL(q || p), computed here independently
/// (weights written directly, closed-form Gaussian KL), in float64; and the gradient pass leaves the weights
/// bit-identical.</summary>
public class BayesByBackpropTests
{
    [Test]
    public void GradientWithFixedNoiseEqualsFiniteDifferencesOfTheElbo()
    {
        var net = Net([3, 4, 2], seed: 41);
        var x = Matrix(6, 3, 42);
        var y = Matrix(6, 2, 43);
        var loss = new SquaredError(0.7);
        var options = new VariationalOptions { TrainingSetSize = 30, KlWeight = 0.8, PriorVariance = 0.6, Seed = 4 };
        var bbb = new BayesByBackprop(net.Parameters(), options, initialSigma: 0.1);
        var ps = net.Parameters();
        var rng = new System.Random(44);
        var rho = ps.Select(p => Enumerable.Range(0, p.Numel).Select(_ => -2.5 + rng.NextDouble()).ToArray()).ToArray();
        bbb.SetRho(rho);
        var eps = ps.Select(p => Enumerable.Range(0, p.Numel).Select(_ => Kfac.Sampling.Gaussian.Sample(rng)).ToArray()).ToArray();
        var mu = ps.Select(p => p.ToDoubleArray()).ToArray();

        var bits = ps.Select(p => p.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).ToArray()).ToArray();
        var (gMu, gRho) = bbb.Gradient(net.Forward, x, y, loss, eps);
        for (int i = 0; i < ps.Count; i++)
            Assert.That(ps[i].ToDoubleArray().Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(bits[i]), "weights restored bit for bit");

        double F(double[][] m, double[][] r)
        {
            var variance = new List<double>();
            for (int i = 0; i < ps.Count; i++)
            {
                var w = new double[m[i].Length];
                for (int j = 0; j < w.Length; j++)
                {
                    double s = BayesByBackprop.Softplus(r[i][j]);
                    w[j] = m[i][j] + s * eps[i][j];
                    variance.Add(s * s);
                }
                ps[i].CopyFrom<double>(w);
            }
            double l = loss.Value(net.Forward(x), y).Item();
            for (int i = 0; i < ps.Count; i++) ps[i].CopyFrom<double>(mu[i]);
            return l + 0.8 / 30 * GaussianKl.Factorized(m.SelectMany(a => a).ToArray(), variance.ToArray(), 0.6);
        }

        const double h = 1e-6;
        for (int i = 0; i < ps.Count; i++)
            for (int j = 0; j < mu[i].Length; j += 3)
            {
                foreach (var (target, analytic, name) in new[] { (mu, gMu, "mu"), (rho, gRho, "rho") })
                {
                    var plus = target.Select(a => a.ToArray()).ToArray();
                    var minus = target.Select(a => a.ToArray()).ToArray();
                    plus[i][j] += h;
                    minus[i][j] -= h;
                    double fd = ReferenceEquals(target, mu) ? (F(plus, rho) - F(minus, rho)) / (2 * h) : (F(mu, plus) - F(mu, minus)) / (2 * h);
                    Assert.That(analytic[i][j], Is.EqualTo(fd).Within(1e-7 + 1e-6 * Math.Abs(fd)), $"{name}[{i}][{j}]");
                }
            }
    }

    [Test]
    public void SoftplusRoundTrips()
    {
        foreach (var s in new[] { 1e-4, 0.3, 2.0, 40.0 })
            Assert.That(BayesByBackprop.Softplus(BayesByBackprop.InverseSoftplus(s)), Is.EqualTo(s).Within(1e-12 * Math.Max(1, s)));
    }
}

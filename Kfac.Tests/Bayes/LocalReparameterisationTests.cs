using Kfac.Bayes;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Bayes.BayesTestKit;

namespace Kfac.Tests.Bayes;

/// <summary>Bayes by Backprop with local reparameterisation (Kingma et al. 2015): the sampled pre-activations have the
/// mean and variance of weight sampling's (statistical test), and the gradient with the pre-activation noise fixed
/// equals central differences of the per-datum negative ELBO computed independently here.</summary>
public class LocalReparameterisationTests
{
    private static IReadOnlyList<Kfac.Curvature.DenseTag> Layers(Sequential net) =>
        net.Modules().OfType<Dense>().Select(d => d.Tag).ToArray();

    [Test]
    public void PreActivationMomentsMatchWeightSampling()
    {
        // one dense layer 3 -> 2 (linear output), 4 input rows
        var net = Net([3, 2], seed: 91);
        var ps = net.Parameters();
        var x = Matrix(4, 3, 92, std: 1.5);
        var options = new VariationalOptions { TrainingSetSize = 10, Seed = 93 };
        var local = new BayesByBackprop(ps, options, initialSigma: 0.1, localReparameterisation: Layers(net));
        var rng = new System.Random(94);
        var rho = ps.Select(p => Enumerable.Range(0, p.Numel).Select(_ => -2 + rng.NextDouble()).ToArray()).ToArray();
        local.SetRho(rho);
        var weights = new BayesByBackprop(ps, options, initialSigma: 0.1);
        weights.SetRho(rho);

        const int samples = 20000;
        int count = 4 * 2;
        var (localSum, localSq) = (new double[count], new double[count]);
        var (weightSum, weightSq) = (new double[count], new double[count]);
        var sampler = new WeightSampler(ps);
        var w = ps.Select(p => new double[p.Numel]).ToArray();
        var sampleRng = new System.Random(95);
        for (int s = 0; s < samples; s++)
        {
            using var scope = TensorScope.Begin();
            var a = local.SampleOutput(net.Forward, x).ToDoubleArray();
            weights.Posterior.Sample(sampleRng, w);
            double[] b;
            using (sampler.Apply(w)) b = net.Forward(x).ToDoubleArray();
            for (int j = 0; j < count; j++)
            {
                localSum[j] += a[j];
                localSq[j] += a[j] * a[j];
                weightSum[j] += b[j];
                weightSq[j] += b[j] * b[j];
            }
        }
        // exact moments: mean x mu^T + b, variance x^2 sigma^2 + sigma_b^2
        var xs = x.ToDoubleArray();
        var mu = ps.Select(p => p.ToDoubleArray()).ToArray();
        var sigma2 = rho.Select(r => r.Select(v => Math.Pow(BayesByBackprop.Softplus(v), 2)).ToArray()).ToArray();
        for (int n = 0; n < 4; n++)
            for (int j = 0; j < 2; j++)
            {
                double mean = mu[1][j], variance = sigma2[1][j];
                for (int i = 0; i < 3; i++)
                {
                    mean += xs[n * 3 + i] * mu[0][j * 3 + i];
                    variance += xs[n * 3 + i] * xs[n * 3 + i] * sigma2[0][j * 3 + i];
                }
                int k = n * 2 + j;
                foreach (var (sum, sq, name) in new[] { (localSum, localSq, "local"), (weightSum, weightSq, "weight sampling") })
                {
                    double m = sum[k] / samples, v = sq[k] / samples - m * m;
                    // 5 standard errors: of the mean sqrt(v/S), of a Gaussian sample variance v sqrt(2/(S-1))
                    Assert.That(m, Is.EqualTo(mean).Within(5 * Math.Sqrt(variance / samples)), $"{name} mean [{n},{j}]");
                    Assert.That(v, Is.EqualTo(variance).Within(5 * variance * Math.Sqrt(2.0 / (samples - 1))), $"{name} variance [{n},{j}]");
                }
            }
    }

    [Test]
    public void GradientWithFixedNoiseEqualsFiniteDifferencesOfTheElbo()
    {
        const int m = 6;
        int[] sizes = [3, 4, 2];
        var net = Net(sizes, seed: 101); // tanh hidden layer, linear output, float64
        var ps = net.Parameters();
        var x = Matrix(m, 3, 102);
        var y = Matrix(m, 2, 103);
        var loss = new SquaredError(0.7);
        var options = new VariationalOptions { TrainingSetSize = 30, KlWeight = 0.8, PriorVariance = 0.6, Seed = 4 };
        var bbb = new BayesByBackprop(ps, options, initialSigma: 0.1, localReparameterisation: Layers(net));
        var rng = new System.Random(104);
        var rho = ps.Select(p => Enumerable.Range(0, p.Numel).Select(_ => -2.5 + rng.NextDouble()).ToArray()).ToArray();
        bbb.SetRho(rho);
        var zeta = new[] { new double[m * 4], new double[m * 2] };
        foreach (var z in zeta) for (int j = 0; j < z.Length; j++) z[j] = Kfac.Sampling.Gaussian.Sample(rng);
        var mu = ps.Select(p => p.ToDoubleArray()).ToArray();
        var (gMu, gRho) = bbb.GradientLocal(net.Forward, x, y, loss, zeta);
        for (int i = 0; i < ps.Count; i++) Assert.That(ps[i].ToDoubleArray(), Is.EqualTo(mu[i]), "the mean is unchanged");

        // F(mu, rho) computed directly: per layer s = x mu^T + b + sqrt(x^2 sigma^2 + sigma_b^2) zeta, tanh between,
        // then the loss on the output, plus (lambda/N) KL(q || N(0, eta I)) in closed form
        var xs = x.ToDoubleArray();
        double F(double[][] mean, double[][] r)
        {
            var a = xs;
            for (int l = 0; l < 2; l++)
            {
                int din = sizes[l], dout = sizes[l + 1];
                double[] W = mean[2 * l], b = mean[2 * l + 1], rw = r[2 * l], rb = r[2 * l + 1];
                var s = new double[m * dout];
                for (int n = 0; n < m; n++)
                    for (int j = 0; j < dout; j++)
                    {
                        double sb = BayesByBackprop.Softplus(rb[j]);
                        double mean1 = b[j], v = sb * sb;
                        for (int i = 0; i < din; i++)
                        {
                            double sw = BayesByBackprop.Softplus(rw[j * din + i]);
                            mean1 += a[n * din + i] * W[j * din + i];
                            v += a[n * din + i] * a[n * din + i] * sw * sw;
                        }
                        s[n * dout + j] = mean1 + Math.Sqrt(v) * zeta[l][n * dout + j];
                    }
                a = l == 0 ? s.Select(Math.Tanh).ToArray() : s;
            }
            double value = loss.Value(Tensor.FromDoubles(a, new Shape(m, 2), DType.Float64), y).Item();
            var variance = r.SelectMany(v => v.Select(t => Math.Pow(BayesByBackprop.Softplus(t), 2))).ToArray();
            return value + 0.8 / 30 * GaussianKl.Factorized(mean.SelectMany(t => t).ToArray(), variance, 0.6);
        }

        const double h = 1e-6;
        for (int i = 0; i < ps.Count; i++)
            for (int j = 0; j < mu[i].Length; j += 2)
                foreach (var (target, analytic, name) in new[] { (mu, gMu, "mu"), (rho, gRho, "rho") })
                {
                    var plus = target.Select(t => t.ToArray()).ToArray();
                    var minus = target.Select(t => t.ToArray()).ToArray();
                    plus[i][j] += h;
                    minus[i][j] -= h;
                    double fd = ReferenceEquals(target, mu) ? (F(plus, rho) - F(minus, rho)) / (2 * h) : (F(mu, plus) - F(mu, minus)) / (2 * h);
                    Assert.That(analytic[i][j], Is.EqualTo(fd).Within(1e-7 + 1e-6 * Math.Abs(fd)), $"{name}[{i}][{j}]");
                }
    }

    [Test]
    public void LayersMustCoverTheParameters()
    {
        var net = Net([3, 4, 2], seed: 111);
        var layers = Layers(net);
        var options = new VariationalOptions { TrainingSetSize = 10 };
        var e = Assert.Throws<ArgumentException>(() => new BayesByBackprop(net.Parameters(), options, localReparameterisation: [layers[0]]));
        Assert.That(e!.Message, Does.Contain("in no dense layer"));
        var noise = Assert.Throws<ArgumentException>(() => new BayesByBackprop(net.Parameters(), options, localReparameterisation: layers)
            .GradientLocal(net.Forward, Matrix(5, 3, 1), Matrix(5, 2, 2), new SquaredError(1), [new double[3], new double[10]]));
        Assert.That(noise!.Message, Does.Contain("[5, 4] needs 20"));
    }
}

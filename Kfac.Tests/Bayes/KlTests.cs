using Kfac.Bayes;
using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Bayes.BayesTestKit;

namespace Kfac.Tests.Bayes;

/// <summary>
/// The closed-form KLs of the FFG and MVG posteriors to N(0, eta I) against (1) the dense-covariance formula on a tiny
/// layer (to 1e-9) and (2) a Monte Carlo estimate E_q[log q(w) - log p(w)] from the posterior's own samples with
/// dense densities; the MC tolerance is 5 standard errors of the estimate (a false alarm has probability ~6e-7).
/// </summary>
public class KlTests
{
    [Test]
    public void FactorizedKlEqualsDenseFormulaAndMonteCarlo()
    {
        var net = Net([3, 2], seed: 11);
        double eta = 0.7;
        var q = new FactorizedGaussianPosterior(net.Parameters(), eta, initialVariance: 0.05);
        var rng = new System.Random(5);
        for (int i = 0; i < q.Variance.Length; i++)
            for (int j = 0; j < q.Variance[i].Length; j++) q.Variance[i][j] = 0.01 + rng.NextDouble() * 0.3;
        double closed = q.KlToPrior();

        var mean = net.Parameters().SelectMany(p => p.ToDoubleArray()).ToArray();
        var variance = q.Variance.SelectMany(v => v).ToArray();
        int d = mean.Length;
        var cov = new double[d * d];
        for (int i = 0; i < d; i++) cov[i * d + i] = variance[i];
        Assert.That(closed, Is.EqualTo(GaussianKl.Dense(mean, cov, eta)).Within(1e-10 * Math.Abs(closed)));

        var (mc, se) = MonteCarloKl(q, mean, cov, eta, samples: 20000, seed: 9);
        Assert.That(closed, Is.EqualTo(mc).Within(5 * se), $"MC {mc} +- {se}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void MatrixVariateKlEqualsDenseFormulaAndMonteCarlo(bool eigenbasis)
    {
        var net = Net([2, 3], seed: eigenbasis ? 22 : 21); // p = 3 (with the bias column), q = 3, d = 9
        var tag = ((Kfac.Layers.Dense)net[0]).Tag;
        double eta = eigenbasis ? 0.7 : 1.3;
        var posterior = new MatrixVariatePosterior([tag], priorVariance: eta);
        var layer = posterior.Layers[0];
        if (eigenbasis) layer.SetFactorsEigenbasis(Spd(3, 5), Spd(3, 6), damping: 0.05, scale: 0.04);
        else layer.SetFactors(Spd(3, 1), 0.2, Spd(3, 2), 0.3, scale: 0.05);
        Assert.That(layer.IsEigenbasis, Is.EqualTo(eigenbasis));
        double closed = posterior.KlToPrior();

        var m = new double[9];
        layer.ReadMean(m);
        var vecM = new double[9]; // column-stacking of M [q, p]
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) vecM[j * 3 + i] = m[i * 3 + j];
        var cov = layer.DenseCovariance();
        Assert.That(closed, Is.EqualTo(GaussianKl.Dense(vecM, cov, eta)).Within(1e-9 * Math.Abs(closed)));

        var (mc, se) = MonteCarloKl(posterior, vecM, cov, eta, samples: 20000, seed: eigenbasis ? 4 : 3, toVec: ToVec);
        Assert.That(closed, Is.EqualTo(mc).Within(5 * se), $"MC {mc} +- {se}");
    }

    [Test]
    public void EigenbasisKlIsBelowFactoredKlAtTheSameDamping()
    {
        // The factored form's cross terms add precision, so its posterior is narrower; with the mean fixed, the KL to a
        // broad prior is larger (this is what makes noisy K-FAC's weight KL large with the factored form).
        var net = Net([4, 3], seed: 23);
        var tag = ((Kfac.Layers.Dense)net[0]).Tag;
        var posterior = new MatrixVariatePosterior([tag], priorVariance: 1);
        var layer = posterior.Layers[0];
        double[] a = Spd(5, 7), sFactor = Spd(3, 8);
        const double gamma = 0.01, scale = 0.002;
        double pi = Kfac.Curvature.FactoredDamping.Pi(Trace(a, 5), 5, Trace(sFactor, 3), 3);
        layer.SetFactors(a, Kfac.Curvature.FactoredDamping.InputDamping(pi, Math.Sqrt(gamma)), sFactor, Kfac.Curvature.FactoredDamping.OutputDamping(pi, Math.Sqrt(gamma)), scale);
        double factored = posterior.KlToPrior();
        layer.SetFactorsEigenbasis(a, sFactor, gamma, scale);
        Assert.That(posterior.KlToPrior(), Is.LessThan(factored));
    }

    private static double Trace(double[] a, int n) => Enumerable.Range(0, n).Sum(i => a[i * n + i]);

    [Test]
    public void RejectsBadPriorVariance()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GaussianKl.Factorized([0.0], [1.0], 0));
        Assert.That(e!.ParamName, Is.EqualTo("eta"));
    }

    /// <summary>[W (3 x 2) | b (3)] sample buffers to vec of the [3, 3] matrix, column-stacked.</summary>
    private static double[] ToVec(double[][] s)
    {
        var v = new double[9];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 2; j++) v[j * 3 + i] = s[0][i * 2 + j];
            v[2 * 3 + i] = s[1][i];
        }
        return v;
    }

    private static (double Mean, double Se) MonteCarloKl(IWeightPosterior q, double[] mean, double[] cov, double eta, int samples, int seed,
        Func<double[][], double[]>? toVec = null)
    {
        int d = mean.Length;
        var l = (double[])cov.Clone();
        Cholesky.Factor<double>(l, d);
        var buffers = q.Parameters.Select(p => new double[p.Numel]).ToArray();
        var rng = new System.Random(seed);
        var terms = new double[samples];
        var zero = new double[d];
        var priorL = new double[d * d];
        for (int i = 0; i < d; i++) priorL[i * d + i] = Math.Sqrt(eta);
        for (int s = 0; s < samples; s++)
        {
            q.Sample(rng, buffers);
            var w = toVec is null ? buffers.SelectMany(b => b).ToArray() : toVec(buffers);
            terms[s] = LogDensity(w, mean, l, d) - LogDensity(w, zero, priorL, d);
        }
        return MeanSe(terms);
    }
}

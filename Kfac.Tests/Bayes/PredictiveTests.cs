using Kfac.Bayes;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Bayes.BayesTestKit;

namespace Kfac.Tests.Bayes;

/// <summary>The predictive Monte Carlo: log-mean-exp against the direct double formula, and the whole test
/// log-likelihood / RMSE / mean against a direct recomputation that replays the same posterior and noise draws.</summary>
public class PredictiveTests
{
    [Test]
    public void LogMeanExpEqualsDirectComputation()
    {
        var rng = new System.Random(1);
        var x = Enumerable.Range(0, 37).Select(_ => -20 + 25 * rng.NextDouble()).ToArray();
        double direct = Math.Log(x.Select(Math.Exp).Average());
        Assert.That(PredictiveMonteCarlo.LogMeanExp(x), Is.EqualTo(direct).Within(1e-12 * Math.Abs(direct)));
        // shifted far out of exp's range the direct formula overflows; the shifted one stays exact
        var big = x.Select(t => t + 1000).ToArray();
        Assert.That(PredictiveMonteCarlo.LogMeanExp(big), Is.EqualTo(direct + 1000).Within(1e-9));
    }

    [Test]
    public void RegressionPredictionEqualsDirectDoubleComputation()
    {
        var net = Net([2, 5, 1], seed: 61);
        var ps = net.Parameters();
        var posterior = new FactorizedGaussianPosterior(ps, 1, initialVariance: 0.02);
        var noise = new GammaNoise(6, 6);
        noise.Set(7, 2);
        var x = Matrix(9, 2, 62);
        var rng = new System.Random(63);
        double ym = 3, ys = 2.5;
        var y = Enumerable.Range(0, 9).Select(_ => ym + ys * Kfac.Sampling.Gaussian.Sample(rng)).ToArray();
        const int s = 12;
        var p = PredictiveMonteCarlo.Regression(net.Forward, posterior, noise, x, y, ym, ys, s, new System.Random(5));

        // replay the same draws: per sample, the posterior's weights then one tau
        var replay = new System.Random(5);
        var mean = ps.Select(t => t.ToDoubleArray()).ToArray();
        var buffers = ps.Select(t => new double[t.Numel]).ToArray();
        var like = new double[9, s];
        var pred = new double[9];
        for (int k = 0; k < s; k++)
        {
            posterior.Sample(replay, buffers);
            double tau = noise.SamplePrecision(replay);
            for (int i = 0; i < ps.Count; i++) ps[i].CopyFrom<double>(buffers[i]);
            var h = net.Forward(x).ToDoubleArray();
            for (int i = 0; i < ps.Count; i++) ps[i].CopyFrom<double>(mean[i]);
            for (int i = 0; i < 9; i++)
            {
                double yk = ym + ys * h[i];
                pred[i] += yk / s;
                // N(y | yk, ys^2 / tau) directly in original units
                double v = ys * ys / tau;
                like[i, k] = Math.Exp(-0.5 * (y[i] - yk) * (y[i] - yk) / v) / Math.Sqrt(2 * Math.PI * v);
            }
        }
        double ll = 0, se = 0;
        for (int i = 0; i < 9; i++)
        {
            double avg = 0;
            for (int k = 0; k < s; k++) avg += like[i, k] / s;
            ll += Math.Log(avg) / 9;
            se += (y[i] - pred[i]) * (y[i] - pred[i]) / 9;
            Assert.That(p.Mean[i], Is.EqualTo(pred[i]).Within(1e-12));
        }
        Assert.That(p.LogLikelihood, Is.EqualTo(ll).Within(1e-12));
        Assert.That(p.Rmse, Is.EqualTo(Math.Sqrt(se)).Within(1e-12));
    }
}

using Kfac.Bayes;
using Kfac.Metrics;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Bayes.BayesTestKit;

namespace Kfac.Tests.Bayes;

/// <summary>The classification predictive Monte Carlo (softmax averaging, log-mean-exp test log-likelihood, ECE)
/// against a direct double computation that replays the same posterior draws.</summary>
public class PredictiveClassificationTests
{
    [Test]
    public void SoftmaxAveragingEqualsDirectDoubleComputation()
    {
        const int n = 11, d = 3, k = 4, s = 9;
        var net = Net([d, 6, k], seed: 71);
        var ps = net.Parameters();
        var posterior = new FactorizedGaussianPosterior(ps, 1, initialVariance: 0.3);
        var x = Matrix(n, d, 72, std: 2);
        var rng = new System.Random(73);
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(k)).ToArray();
        // the test set in two blocks (7 + 4 rows)
        var blocks = new[] { Tensor.FromDoubles(x.ToDoubleArray()[..(7 * d)], new Shape(7, d), DType.Float64),
                             Tensor.FromDoubles(x.ToDoubleArray()[(7 * d)..], new Shape(4, d), DType.Float64) };
        var p = PredictiveClassification.Evaluate(net.Forward, posterior, blocks, labels, k, s, new System.Random(5));

        var replay = new System.Random(5);
        var mean = ps.Select(t => t.ToDoubleArray()).ToArray();
        var buffers = ps.Select(t => new double[t.Numel]).ToArray();
        var prob = new double[n * k];
        var trueProb = new double[n];
        for (int j = 0; j < s; j++)
        {
            posterior.Sample(replay, buffers);
            for (int i = 0; i < ps.Count; i++) ps[i].CopyFrom<double>(buffers[i]);
            var z = net.Forward(x).ToDoubleArray();
            for (int i = 0; i < ps.Count; i++) ps[i].CopyFrom<double>(mean[i]);
            for (int i = 0; i < n; i++)
            {
                // softmax directly: exp(z_c) / sum exp(z_j) (logits are small here, no shift needed)
                double sum = 0;
                for (int c = 0; c < k; c++) sum += Math.Exp(z[i * k + c]);
                for (int c = 0; c < k; c++) prob[i * k + c] += Math.Exp(z[i * k + c]) / sum / s;
                trueProb[i] += Math.Exp(z[i * k + labels[i]]) / sum / s;
            }
        }
        for (int j = 0; j < n * k; j++) Assert.That(p.Probabilities[j], Is.EqualTo(prob[j]).Within(1e-12), $"probability {j}");
        double ll = trueProb.Select(v => Math.Log(v)).Average();
        Assert.That(p.LogLikelihood, Is.EqualTo(ll).Within(1e-12));
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int c = 1; c < k; c++) if (prob[i * k + c] > prob[i * k + best]) best = c;
            if (best == labels[i]) correct++;
        }
        Assert.That(p.Accuracy, Is.EqualTo((double)correct / n));
        Assert.That(p.Calibration.ExpectedCalibrationError, Is.EqualTo(Calibration.Compute(prob, labels, k).ExpectedCalibrationError).Within(1e-12));
        // the samples really differ (else averaging would be trivially the plain softmax)
        Assert.That(trueProb.Zip(Enumerable.Range(0, n)).Any(t => Math.Abs(t.First - Math.Exp(LogProbAtMean(net, x, t.Second, labels[t.Second], k))) > 1e-3));
        for (int i = 0; i < ps.Count; i++) Assert.That(ps[i].ToDoubleArray(), Is.EqualTo(mean[i]), "the mean is restored");
    }

    private static double LogProbAtMean(Kfac.Layers.Sequential net, Tensor x, int row, int label, int k)
    {
        var z = net.Forward(x).ToDoubleArray();
        var lp = new double[k];
        PredictiveClassification.LogSoftmax(z.AsSpan(row * k, k), lp);
        return lp[label];
    }

    [Test]
    public void PointMassGivesThePlainSoftmax()
    {
        var net = Net([2, 3, 3], seed: 81);
        var x = Matrix(5, 2, 82);
        var p = PredictiveClassification.Evaluate(net.Forward, new PointMassPosterior(net.Parameters()), [x], [0, 1, 2, 0, 1], 3, 3, new System.Random(1));
        var z = net.Forward(x).ToDoubleArray();
        var lp = new double[3];
        PredictiveClassification.LogSoftmax(z.AsSpan(0, 3), lp);
        Assert.That(p.Probabilities[0], Is.EqualTo(Math.Exp(lp[0])).Within(1e-12));
        Assert.That(p.Probabilities.Take(3).Sum(), Is.EqualTo(1).Within(1e-12));
    }

    [Test]
    public void LogSoftmaxIsStableForLargeLogits()
    {
        var lp = new double[2];
        PredictiveClassification.LogSoftmax([1000, 1000 - Math.Log(3)], lp);
        Assert.That(lp[0], Is.EqualTo(Math.Log(0.75)).Within(1e-12));
        Assert.That(lp[1], Is.EqualTo(Math.Log(0.25)).Within(1e-12));
    }

    [Test]
    public void MismatchedLabelsAreRefused()
    {
        var net = Net([2, 3, 3], seed: 81);
        var x = Matrix(5, 2, 82);
        var e = Assert.Throws<ArgumentException>(() => PredictiveClassification.Evaluate(net.Forward, new PointMassPosterior(net.Parameters()), [x], [0, 1], 3, 1, new System.Random(1)));
        Assert.That(e!.Message, Does.Contain("2 labels for 5 input rows"));
    }
}

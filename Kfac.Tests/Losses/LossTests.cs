using Kfac.Autodiff;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Losses;

public class LossTests
{
    public static IEnumerable<ILoss> AllLosses() => [new SoftmaxCrossEntropy(), new SigmoidCrossEntropy(), new SquaredError(), new SquaredError(0.3)];

    private static Tensor Targets(ILoss loss, int m, int k, System.Random rng) => loss switch
    {
        SoftmaxCrossEntropy => SoftmaxOps.OneHot(Enumerable.Range(0, m).Select(_ => rng.Next(k)).ToArray(), k, DType.Float64),
        SigmoidCrossEntropy => Tensor.Rand(new Shape(m, k), rng, dtype: DType.Float64),
        _ => Tensor.RandN(new Shape(m, k), rng, dtype: DType.Float64),
    };

    [TestCaseSource(nameof(AllLosses))]
    public void ValueGradientAndJvpMatchFiniteDifferences(ILoss loss)
    {
        var rng = new System.Random(3);
        var z = Tensor.RandN(new Shape(4, 5), rng, dtype: DType.Float64);
        var t = Targets(loss, 4, 5, rng);
        var r = GradCheck.Run(x => loss.Value(x[0], t), [z]);
        Assert.That(r.Passed(1e-6), Is.True, r.ToString());
    }

    [TestCaseSource(nameof(AllLosses))]
    public void OutputGradientIsPerExampleGradient(ILoss loss)
    {
        var rng = new System.Random(4);
        var z = Tensor.RandN(new Shape(3, 4), rng, dtype: DType.Float64);
        var t = Targets(loss, 3, 4, rng);
        z.RequiresGrad = true;
        loss.Value(z, t).Backward();
        var autodiff = z.Grad!.ToArray<double>();
        var closed = loss.OutputGradient(z, t).ToArray<double>();
        for (int i = 0; i < closed.Length; i++) Assert.That(closed[i], Is.EqualTo(3 * autodiff[i]).Within(1e-12));
    }

    /// <summary>For natural-parameter losses the output Fisher is the Hessian of L_i in z_i: check
    /// F_R v against a central difference of the closed-form gradient along v.</summary>
    [TestCaseSource(nameof(AllLosses))]
    public void FisherProductIsHessianOfPerExampleLoss(ILoss loss)
    {
        var rng = new System.Random(5);
        var z = Tensor.RandN(new Shape(3, 4), rng, dtype: DType.Float64);
        var t = Targets(loss, 3, 4, rng);
        var v = Tensor.RandN(new Shape(3, 4), rng, dtype: DType.Float64);
        const double h = 1e-5;
        var gp = loss.OutputGradient(z + v * h, t).ToArray<double>();
        var gm = loss.OutputGradient(z - v * h, t).ToArray<double>();
        var fv = loss.FisherProduct(z, v).ToArray<double>();
        for (int i = 0; i < fv.Length; i++) Assert.That(fv[i], Is.EqualTo((gp[i] - gm[i]) / (2 * h)).Within(1e-7));
    }

    [TestCaseSource(nameof(AllLosses))]
    public void SquareRootColumnsReproduceTheFisher(ILoss loss)
    {
        var rng = new System.Random(6);
        var z = Tensor.RandN(new Shape(2, 3), rng, dtype: DType.Float64);
        var v = Tensor.RandN(new Shape(2, 3), rng, dtype: DType.Float64);
        var fv = loss.FisherProduct(z, v).ToArray<double>();
        var sum = new double[6];
        foreach (var col in loss.FisherSquareRootColumns(z))
        {
            var b = col.ToArray<double>();
            for (int i = 0; i < 2; i++)
            {
                double bv = 0;
                for (int c = 0; c < 3; c++) bv += b[i * 3 + c] * v[i, c];
                for (int c = 0; c < 3; c++) sum[i * 3 + c] += b[i * 3 + c] * bv;
            }
        }
        for (int i = 0; i < 6; i++) Assert.That(sum[i], Is.EqualTo(fv[i]).Within(1e-12));
    }

    /// <summary>The Fisher is the covariance of the score under the model's own samples: averaging
    /// g g^T v over many sampled targets must approach F_R v (Monte Carlo, 40k samples; tolerance 0.03,
    /// about 6 standard errors for these magnitudes).</summary>
    [TestCaseSource(nameof(AllLosses))]
    public void SampledScoresHaveTheFisherAsCovariance(ILoss loss)
    {
        var rng = new Kfac.Sampling.RandomStream(7);
        const int samples = 40000;
        var z1 = Tensor.FromArray(new[] { 0.3, -0.8, 1.1 }, 1, 3);
        var z = Tensor.FromArray(Enumerable.Range(0, samples).SelectMany(_ => new[] { 0.3, -0.8, 1.1 }).ToArray(), samples, 3);
        var v = new[] { 0.5, -1.0, 0.25 };
        var g = loss.OutputGradient(z, loss.Sample(z, rng)).ToArray<double>();
        var estimate = new double[3];
        for (int s = 0; s < samples; s++)
        {
            double gv = g[s * 3] * v[0] + g[s * 3 + 1] * v[1] + g[s * 3 + 2] * v[2];
            for (int c = 0; c < 3; c++) estimate[c] += g[s * 3 + c] * gv / samples;
        }
        var exact = loss.FisherProduct(z1, Tensor.FromArray(v, 1, 3)).ToArray<double>();
        for (int c = 0; c < 3; c++) Assert.That(estimate[c], Is.EqualTo(exact[c]).Within(0.03 * Math.Max(1, Math.Abs(exact[c]))));
    }

    [Test]
    public void SoftmaxSamplesFollowTheProbabilities()
    {
        var rng = new Kfac.Sampling.RandomStream(8);
        const int n = 50000;
        var logits = new[] { 1.0, 0.0, -1.0, 2.0 };
        var z = Tensor.FromArray(Enumerable.Range(0, n).SelectMany(_ => logits).ToArray(), n, 4);
        var counts = Tensor.FromArray(new SoftmaxCrossEntropy().Sample(z, rng).ToArray<double>(), n, 4).Sum(0).ToArray<double>();
        double norm = logits.Sum(Math.Exp);
        for (int c = 0; c < 4; c++)
        {
            double p = Math.Exp(logits[c]) / norm;
            double se = Math.Sqrt(p * (1 - p) / n);
            Assert.That(counts[c] / n, Is.EqualTo(p).Within(5 * se), $"class {c}");
        }
        Assert.That(counts.Sum(), Is.EqualTo(n), "exactly one class per sample");
    }

    [Test]
    public void BernoulliAndGaussianSampleMoments()
    {
        var rng = new Kfac.Sampling.RandomStream(9);
        const int n = 50000;
        var z = Tensor.Full(new Shape(n, 1), 0.7, DType.Float64);
        double p = 1 / (1 + Math.Exp(-0.7));
        var b = new SigmoidCrossEntropy().Sample(z, rng).ToArray<double>();
        Assert.That(b.Average(), Is.EqualTo(p).Within(5 * Math.Sqrt(p * (1 - p) / n)));
        Assert.That(b.All(x => x is 0 or 1), Is.True);
        var g = new SquaredError(0.25).Sample(z, rng).ToArray<double>();
        double mean = g.Average(), variance = g.Select(x => (x - mean) * (x - mean)).Sum() / (n - 1);
        Assert.That(mean, Is.EqualTo(0.7).Within(5 * 0.5 / Math.Sqrt(n)));
        Assert.That(variance, Is.EqualTo(0.25).Within(0.25 * 5 * Math.Sqrt(2.0 / n)));
    }

    [Test]
    public void SigmoidCrossEntropyIsStableForLargeLogits()
    {
        var z = Tensor.FromArray(new[] { 200.0f, -200.0f }, 1, 2);
        var t = Tensor.FromArray(new[] { 0.0f, 1.0f }, 1, 2);
        Assert.That(new SigmoidCrossEntropy().Value(z, t).Item(), Is.EqualTo(400).Within(1e-3));
    }

    [Test]
    public void MismatchedTargetShapeNamesBothShapes()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => new SoftmaxCrossEntropy().Value(Tensor.Zeros(new Shape(4, 10)), Tensor.Zeros(new Shape(4, 9))));
        Assert.That(e!.Message, Does.Contain("[4, 10]").And.Contain("[4, 9]").And.Contain("target"));
    }

    [Test]
    public void InvalidVarianceIsRejected() =>
        Assert.That(() => new SquaredError(0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("variance"));
}

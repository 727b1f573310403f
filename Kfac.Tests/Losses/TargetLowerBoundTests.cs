using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Losses;

/// <summary>
/// <see cref="ILoss.TargetLowerBound"/>: for the sigmoid cross entropy it is the infimum of the mean loss over outputs
/// (attained at sigmoid(z) = t, never undercut), exactly 0 for binary targets, -infinity for targets the loss cannot
/// bound; for the softmax cross entropy the same over rows of soft targets (s H(t / s) for a row with sum s); the squared
/// error keeps its constant bound.
/// </summary>
public class TargetLowerBoundTests
{
    private static readonly SigmoidCrossEntropy Loss = new();

    [TestCase(1, 1)]
    [TestCase(3, 5)]
    [TestCase(7, 513)]
    public void SigmoidCrossEntropyBoundIsTheLossAtLogitOfTheTargets(int m, int k)
    {
        var rng = new System.Random(m * 1000 + k);
        var t = Enumerable.Range(0, m * k).Select(_ => 0.02 + 0.96 * rng.NextDouble()).ToArray();
        var targets = Tensor.FromArray(t, m, k);
        var atOptimum = Tensor.FromArray(t.Select(v => Math.Log(v / (1 - v))).ToArray(), m, k);
        double bound = Loss.TargetLowerBound(targets);
        Assert.That(bound, Is.EqualTo(Loss.Value(atOptimum, targets).Item()).Within(1e-12 * Math.Abs(bound)));
        for (int draw = 0; draw < 5; draw++)
        {
            var z = Tensor.FromArray(t.Select(v => Math.Log(v / (1 - v)) + 2 * (rng.NextDouble() - 0.5)).ToArray(), m, k);
            Assert.That(Loss.Value(z, targets).Item(), Is.GreaterThan(bound), $"draw {draw}");
        }
    }

    [Test]
    public void SigmoidCrossEntropyBoundInFloatIsTheDoubleBoundToSinglePrecision()
    {
        var rng = new System.Random(5);
        var t = Enumerable.Range(0, 64 * 784).Select(_ => (float)rng.NextDouble()).ToArray();
        double want = -t.Sum(v => (double)v * Math.Log(v) + (1 - (double)v) * Math.Log(1 - (double)v)) / 64;
        Assert.That(Loss.TargetLowerBound(Tensor.FromArray(t, 64, 784)), Is.EqualTo(want).Within(1e-6 * want));
    }

    [Test]
    public void BinaryTargetsGiveExactlyZero()
    {
        var rng = new System.Random(6);
        var t = Tensor.FromArray(Enumerable.Range(0, 16 * 8).Select(_ => rng.Next(2) == 1 ? 1f : 0f).ToArray(), 16, 8);
        Assert.That(Loss.TargetLowerBound(t), Is.EqualTo(0.0));
    }

    [TestCase(1.25)]
    [TestCase(-0.5)]
    [TestCase(double.NaN)]
    public void TargetsOutsideZeroOneLeaveTheLossUnboundedBelow(double bad)
    {
        var t = Tensor.FromArray(new[] { 0.5, bad, 0.25, 0.75 }, 2, 2);
        Assert.That(Loss.TargetLowerBound(t), Is.EqualTo(double.NegativeInfinity));
    }

    [Test]
    public void SquaredErrorKeepsItsConstantBound()
    {
        var t = Tensor.FromArray(new[] { 0.2f, 0.8f, 0.5f, 0.5f }, 2, 2);
        Assert.That(((ILoss)new SquaredError()).TargetLowerBound(t), Is.EqualTo(0.0));
    }

    private static readonly SoftmaxCrossEntropy Softmax = new();

    /// <summary>Rows of soft targets with sum s (1 for distributions; 0.6 and 2.4 for rows that are not): the bound is
    /// the mean loss at softmax(z) = t / s, and logits moved away from there give more.</summary>
    [TestCase(1, 1, 1.0)]
    [TestCase(1, 1, 0.6)]
    [TestCase(3, 5, 1.0)]
    [TestCase(7, 10, 1.0)]
    [TestCase(4, 17, 0.6)]
    [TestCase(2, 3, 2.4)]
    public void SoftmaxCrossEntropyBoundIsTheLossAtTheNormalisedTargets(int m, int k, double rowSum)
    {
        var rng = new System.Random(m * 100 + k);
        var t = new double[m * k];
        for (int i = 0; i < m; i++)
        {
            var w = Enumerable.Range(0, k).Select(_ => 0.05 + rng.NextDouble()).ToArray();
            double sum = w.Sum();
            for (int c = 0; c < k; c++) t[i * k + c] = rowSum * w[c] / sum;
        }
        var targets = Tensor.FromArray(t, m, k);
        var atOptimum = Tensor.FromArray(t.Select(v => Math.Log(v / rowSum)).ToArray(), m, k);
        double bound = Softmax.TargetLowerBound(targets);
        double atMin = Softmax.Value(atOptimum, targets).Item();
        Assert.That(bound, Is.EqualTo(atMin).Within(1e-12 * Math.Max(1, Math.Abs(atMin))));
        if (k == 1) Assert.That(bound, Is.EqualTo(0.0).Within(1e-15), "one class: the loss is 0 for every output");
        for (int draw = 0; draw < 5 && k > 1; draw++)
        {
            var z = Tensor.FromArray(t.Select(v => Math.Log(v) + 2 * (rng.NextDouble() - 0.5)).ToArray(), m, k);
            Assert.That(Softmax.Value(z, targets).Item(), Is.GreaterThan(bound), $"draw {draw}");
        }
    }

    /// <summary>Hard targets: one-hot rows (and all-zero or multi-hot ones, whose bound 0 is valid but not tight) give
    /// exactly 0.</summary>
    [Test]
    public void SoftmaxCrossEntropyHardTargetsGiveExactlyZero()
    {
        var rng = new System.Random(9);
        var oneHot = new float[32 * 10];
        for (int i = 0; i < 32; i++) oneHot[i * 10 + rng.Next(10)] = 1;
        Assert.That(Softmax.TargetLowerBound(Tensor.FromArray(oneHot, 32, 10)), Is.EqualTo(0.0));
        var mixed = Tensor.FromArray(new[] { 1f, 1f, 0f, 0f, 0f, 0f }, 2, 3);
        Assert.That(Softmax.TargetLowerBound(mixed), Is.EqualTo(0.0));
    }

    [Test]
    public void SoftmaxCrossEntropyBoundInFloatIsTheDoubleBoundToSinglePrecision()
    {
        var rng = new System.Random(10);
        int m = 300, k = 10;
        var t = new float[m * k];
        double want = 0;
        for (int i = 0; i < m; i++)
        {
            // label smoothing 0.1 of a random class: 0.91 and 0.01
            int y = rng.Next(k);
            for (int c = 0; c < k; c++) t[i * k + c] = c == y ? 0.91f : 0.01f;
            double s = 0, h = 0;
            for (int c = 0; c < k; c++) { s += t[i * k + c]; h -= t[i * k + c] * Math.Log(t[i * k + c]); }
            want += h + s * Math.Log(s);
        }
        want /= m;
        Assert.That(want, Is.EqualTo(0.5002).Within(1e-3));
        Assert.That(Softmax.TargetLowerBound(Tensor.FromArray(t, m, k)), Is.EqualTo(want).Within(1e-6 * want));
    }

    [TestCase(-0.5)]
    [TestCase(double.NaN)]
    public void SoftmaxCrossEntropyNegativeTargetsGiveNoBound(double bad)
    {
        var t = Tensor.FromArray(new[] { 0.5, bad, 0.25, 0.75 }, 2, 2);
        Assert.That(Softmax.TargetLowerBound(t), Is.EqualTo(double.NegativeInfinity));
    }

    /// <summary>Weighted rows with entries above 1 (10 on both wrong classes): the same infimum, s H(t / s) per row.</summary>
    [Test]
    public void SoftmaxCrossEntropyEntriesAboveOneKeepTheirBound()
    {
        var t = Tensor.FromArray(new[] { 10.0, 10.0, 0.0, 0.0, 2.5, 0.5 }, 2, 3);
        double want = (20 * Math.Log(2) + 3 * Math.Log(3) - 2.5 * Math.Log(2.5) - 0.5 * Math.Log(0.5)) / 2;
        Assert.That(Softmax.TargetLowerBound(t), Is.EqualTo(want).Within(1e-12 * want));
        var atOptimum = Tensor.FromArray(new[] { Math.Log(0.5), Math.Log(0.5), -60, -60, Math.Log(2.5 / 3), Math.Log(0.5 / 3) }, 2, 3);
        Assert.That(Softmax.Value(atOptimum, t).Item(), Is.EqualTo(want).Within(1e-12 * want));
    }

    [Test]
    public void SoftmaxCrossEntropyRefusesTargetsThatAreNotAMatrix()
    {
        Assert.That(() => Softmax.TargetLowerBound(Tensor.Zeros(new Shape(0, 3))), Throws.ArgumentException.With.Message.Contains("[0, 3]"));
        Assert.That(() => Softmax.TargetLowerBound(Tensor.Zeros(new Shape(4))), Throws.ArgumentException.With.Message.Contains("must be [rows > 0, classes]"));
    }

    /// <summary>The guards' slack: 1e-4 of the bound below it (a float loss fitted within rounding keeps a non-negative
    /// excess), nothing for a bound of 0, and -infinity stays -infinity.</summary>
    [Test]
    public void TheGuardsLowerTheBoundByItsRoundingOnly()
    {
        Assert.That(Kfac.Optim.Kfac.KfacOptimizer.GuardBound(186.0), Is.EqualTo(186.0 - 0.0186).Within(1e-12));
        Assert.That(BitConverter.DoubleToInt64Bits(Kfac.Optim.Kfac.KfacOptimizer.GuardBound(0.0)), Is.EqualTo(0L));
        Assert.That(Kfac.Optim.Kfac.KfacOptimizer.GuardBound(double.NegativeInfinity), Is.EqualTo(double.NegativeInfinity));
        // A float loss at its soft targets' optimum (the excess is rounding) stays above the guards' bound.
        var rng = new System.Random(8);
        var t = Enumerable.Range(0, 100 * 784).Select(_ => (float)(0.02 + 0.96 * rng.NextDouble())).ToArray();
        var targets = Tensor.FromArray(t, 100, 784);
        var atOptimum = Tensor.FromArray(t.Select(v => (float)Math.Log(v / (1.0 - v))).ToArray(), 100, 784);
        Assert.That(Loss.Value(atOptimum, targets).Item(), Is.GreaterThan(Kfac.Optim.Kfac.KfacOptimizer.GuardBound(Loss.TargetLowerBound(targets))));
    }

    [Test]
    public void ATargetWithoutRowsIsRefused() =>
        Assert.That(() => Loss.TargetLowerBound(Tensor.Zeros(new Shape(0, 3))), Throws.ArgumentException.With.Message.Contains("no rows"));
}

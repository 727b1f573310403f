using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Losses;

/// <summary>
/// <see cref="ILoss.TargetLowerBound"/>: for the sigmoid cross entropy it is the infimum of the mean loss over outputs
/// (attained at sigmoid(z) = t, never undercut), exactly 0 for binary targets, -infinity for targets the loss cannot
/// bound; the other built-in losses keep their constant bound.
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
    public void OtherLossesKeepTheirConstantBound()
    {
        var t = Tensor.FromArray(new[] { 0.2f, 0.8f, 0.5f, 0.5f }, 2, 2);
        Assert.That(((ILoss)new SoftmaxCrossEntropy()).TargetLowerBound(t), Is.EqualTo(0.0));
        Assert.That(((ILoss)new SquaredError()).TargetLowerBound(t), Is.EqualTo(0.0));
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

using Kfac.Autodiff;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Sampling;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

/// <summary>
/// The step guards (docs/kfac.md, "Guards"): a quadratic model that fails or predicts the impossible, and a loss that
/// grows past the limit, reject the step, leave (or put back) the weights, raise lambda and are counted; the
/// next-batch reduction ratio equals a direct computation.
/// </summary>
public class KfacGuardTests
{
    private static (Tensor X, Tensor T) Data(int m, int seed)
    {
        var rng = new System.Random(seed);
        var x = Tensor.RandN(new Shape(m, 5), rng);
        var labels = Enumerable.Range(0, m).Select(_ => rng.Next(3)).ToArray();
        return (x, SoftmaxOps.OneHot(labels, 3));
    }

    private static Sequential Net(int seed) => new(new Dense(5, 7, rng: new System.Random(seed)), new Tanh(), new Dense(7, 3, rng: new System.Random(seed + 1)));

    private static float[][] Weights(Sequential net) => net.Parameters().Select(p => p.ToArray<float>()).ToArray();

    /// <summary>Softmax cross entropy whose declared lower bound the test sets (to make any predicted decrease impossible):
    /// as its constant bound, or (<paramref name="perTargets"/>) as the bound for the batch's targets only.</summary>
    private sealed class BoundedLoss(double bound, bool perTargets = false) : ILoss
    {
        private readonly SoftmaxCrossEntropy _inner = new();
        public double Bound { get; set; } = bound;
        public string Name => "bounded_softmax_cross_entropy";
        public double LowerBound => perTargets ? 0 : Bound;
        public double TargetLowerBound(Tensor target) => perTargets ? Bound : LowerBound;
        public Tensor Value(Tensor output, Tensor target) => _inner.Value(output, target);
        public Tensor OutputGradient(Tensor output, Tensor target) => _inner.OutputGradient(output, target);
        public Tensor Sample(Tensor output, RandomStream rng) => _inner.Sample(output, rng);
        public Tensor FisherProduct(Tensor output, Tensor v) => _inner.FisherProduct(output, v);
        public IReadOnlyList<Tensor> FisherSquareRootColumns(Tensor output) => _inner.FisherSquareRootColumns(output);
    }

    [Test]
    public void SolveReportsNonFiniteAndIndefiniteSystems()
    {
        var good = new QuadraticModel.Terms(2, 0.3, 1, 1.5, 0.2, 0.8, -1.2, 0.4);
        Assert.That(QuadraticModel.Solve(good, 0.5, useMomentum: true).Failure, Is.Null);
        Assert.That(QuadraticModel.Solve(good with { DeltaFDelta = double.NaN }, 0.5, true).Failure, Does.Contain("non-finite"));
        Assert.That(QuadraticModel.Solve(good with { DeltaFDelta = -5 }, 0.5, true).Failure, Does.Contain("not positive"));
        Assert.That(QuadraticModel.Solve(good with { PreviousFPrevious = -5 }, 0.5, true).Failure, Does.Contain("not positive"));
        // |a01| far above sqrt(a00 a11): a negative determinant, impossible for F + c I positive definite.
        Assert.That(QuadraticModel.Solve(good with { DeltaFPrevious = 10 }, 0.5, true).Failure, Does.Contain("not positive definite"));
        // Collinear directions (det = 0 exactly): mu = 0, no failure.
        var collinear = new QuadraticModel.Terms(4, 2, 1, 4, 2, 1, -1, -0.5);
        var s = QuadraticModel.Solve(collinear, 1, true);
        Assert.That((s.Failure, s.Mu), Is.EqualTo(((string?)null, 0.0)));
    }

    [Test]
    public void ImplausibleWhenThePredictedDecreaseExceedsTheHeadroom()
    {
        var s = new QuadraticModel.Solution(1, 0, -0.3);
        Assert.That(QuadraticModel.Implausible(s, 0.31), Is.Null);
        Assert.That(QuadraticModel.Implausible(s, 0.29), Does.Contain("predicts a decrease of 0.3"));
        Assert.That(QuadraticModel.Implausible(QuadraticModel.Solution.Failed("boom"), 10), Is.EqualTo("boom"));
    }

    /// <summary>Also when the bound comes from the batch's targets (<see cref="ILoss.TargetLowerBound"/>) and the
    /// constant bound is 0: the headroom is the objective's excess over the targets' bound.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void AnImpossiblePredictionRejectsTheStepLeavesTheWeightsAndRaisesLambda(bool perTargets)
    {
        var (x, t) = Data(64, 1);
        var net = Net(2);
        var loss = new BoundedLoss(0, perTargets);
        var options = new KfacOptions { InitialLambda = 1, RejectionLambdaFactor = 4, ImplausibleStep = ImplausibleStepRule.Reject };
        var kfac = new KfacOptimizer(net.Parameters(), loss, options);
        using (TensorScope.Begin()) Assert.That(kfac.Step(net.Forward, x, t).Rejected, Is.False);
        double lambda = kfac.Lambda;
        var before = Weights(net);
        double current;
        using (TensorScope.Begin()) current = loss.Value(net.Forward(x), t).Item();
        // The guards lower the bound by 1e-4 of its size (KfacOptimizer.GuardBound): h can fall by about 1e-8 h only,
        // every real step predicts more.
        loss.Bound = current * (1 + 1e-4);
        KfacStepResult r;
        using (TensorScope.Begin()) r = kfac.Step(net.Forward, x, t);
        Assert.That(r.Rejected, Is.True);
        Assert.That(r.RejectionReason, Does.Contain("predicts a decrease"));
        Assert.That(r.Rejections, Is.EqualTo(1));
        Assert.That(kfac.Rejections, Is.EqualTo(1));
        Assert.That(kfac.Lambda, Is.EqualTo(4 * lambda).Within(1e-12 * lambda));
        Assert.That(kfac.Gamma, Is.EqualTo(Math.Sqrt(kfac.Lambda + options.L2)).Within(1e-12), "gamma stays tied to lambda");
        Assert.That(Weights(net), Is.EqualTo(before), "the weights did not move");
    }

    [Test]
    public void ShrinkingAnImplausibleStepSetsTheModelDecreaseToTheFractionOfTheHeadroom()
    {
        var t = new QuadraticModel.Terms(2, 0.3, 1, 1.5, 0.2, 0.8, -1.2, 0.4);
        const double c = 0.5;
        var s = QuadraticModel.Solve(t, c, useMomentum: true);
        double headroom = -0.2 * s.Value; // the minimiser predicts five times what h can fall
        var shorter = QuadraticModel.ShrinkToPlausible(s, headroom, 0.5);
        Assert.That(shorter.Failure, Is.Null);
        // The ray formula M(t) = V (2t - t^2) agrees with the model evaluated directly at the shortened (alpha, mu).
        Assert.That(QuadraticModel.Value(t, c, shorter.Alpha, shorter.Mu), Is.EqualTo(shorter.Value).Within(1e-14));
        Assert.That(shorter.Value, Is.EqualTo(-0.5 * headroom).Within(1e-14));
        Assert.That(shorter.Alpha / s.Alpha, Is.EqualTo(shorter.Mu / s.Mu).Within(1e-14), "same ray");
        Assert.That(shorter.Alpha / s.Alpha, Is.InRange(0.0, 1.0));
        Assert.That(QuadraticModel.Implausible(shorter, headroom), Is.Null);
        // Nothing to shorten when the headroom is gone; a failed solve stays failed.
        Assert.That(QuadraticModel.ShrinkToPlausible(s, 0, 0.5).Failure, Does.Contain("cannot shrink"));
        Assert.That(QuadraticModel.ShrinkToPlausible(QuadraticModel.Solution.Failed("boom"), 1, 0.5).Failure, Is.EqualTo("boom"));
    }

    [Test]
    public void WithShrinkAnImpossiblePredictionTakesAShorterStepAndRaisesLambdaOnce()
    {
        var (x, t) = Data(64, 1);
        var net = Net(2);
        var loss = new BoundedLoss(0);
        var options = new KfacOptions { InitialLambda = 1, ImplausibleStep = ImplausibleStepRule.Shrink, LambdaInterval = 3 }; // step 2 is not judged
        var kfac = new KfacOptimizer(net.Parameters(), loss, options);
        using (TensorScope.Begin()) Assert.That(kfac.Step(net.Forward, x, t).Rejected, Is.False);
        double lambda = kfac.Lambda;
        var before = Weights(net);
        double current;
        using (TensorScope.Begin()) current = loss.Value(net.Forward(x), t).Item();
        double headroom = 1e-4;
        loss.Bound = current - headroom;
        KfacStepResult r;
        using (TensorScope.Begin()) r = kfac.Step(net.Forward, x, t);
        Assert.That(r.Rejected, Is.False);
        Assert.That(r.Shrunk, Is.True);
        Assert.That(kfac.ShrunkSteps, Is.EqualTo(1));
        // The headroom is h's: the objective (loss plus the L2 term) above the loss's bound.
        double objectiveHeadroom = r.Objective - KfacOptimizer.GuardBound(loss.Bound);
        Assert.That(objectiveHeadroom, Is.GreaterThanOrEqualTo(headroom));
        Assert.That(r.ModelChange, Is.EqualTo(-options.PlausibleDecreaseFraction * objectiveHeadroom).Within(1e-9 * objectiveHeadroom));
        Assert.That(kfac.Lambda, Is.EqualTo(lambda / options.Omega1).Within(1e-12 * lambda));
        Assert.That(Weights(net), Is.Not.EqualTo(before), "the shortened step was taken");
    }

    [Test]
    public void ALossThatGrowsPastTheLimitUndoesTheLastUpdateOnce()
    {
        var (x, t) = Data(64, 3);
        var net = Net(4);
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1, BatchLossSpikeLimit = 10 });
        for (int s = 0; s < 9; s++)
            using (TensorScope.Begin()) Assert.That(kfac.Step(net.Forward, x, t).Rejected, Is.False);
        var beforeLast = Weights(net);
        using (TensorScope.Begin()) Assert.That(kfac.Step(net.Forward, x, t).Rejected, Is.False);
        Assert.That(Weights(net), Is.Not.EqualTo(beforeLast));
        // Weight 10 on both wrong classes of every example: the batch loss is far above 10x the recent level.
        var wrong = 10 * (1 - t);
        KfacStepResult r;
        using (TensorScope.Begin()) r = kfac.Step(net.Forward, x, wrong);
        Assert.That(r.Rejected, Is.True);
        Assert.That(r.RejectionReason, Does.Contain("times the recent level"));
        Assert.That(Weights(net), Is.EqualTo(beforeLast), "the last update was undone bit for bit");
        // Nothing is left to undo: the same batch again is a step like any other, not a second rollback.
        using (TensorScope.Begin()) r = kfac.Step(net.Forward, x, wrong);
        Assert.That(r.RejectionReason ?? "", Does.Not.Contain("times the recent level"));
    }

    [Test]
    public void NextBatchRhoEqualsTheDirectRatioOnTheFollowingBatch()
    {
        var (x1, t1) = Data(48, 5);
        var (x2, t2) = Data(48, 6);
        var net = Net(7);
        var loss = new SoftmaxCrossEntropy();
        var options = new KfacOptions { InitialLambda = 1, LambdaInterval = 3, RhoEvaluation = RhoEvaluation.NextBatch, L2 = 1e-3 };
        var kfac = new KfacOptimizer(net.Parameters(), loss, options);
        var results = new List<KfacStepResult>();
        float[][]? thetaBefore = null;
        for (int k = 1; k <= 7; k++)
        {
            var (x, t) = k % 2 == 1 ? (x1, t1) : (x2, t2);
            if (k == 4)
            {
                // The update of step 3 is judged now, on this batch: rho = (h(theta3) - h(theta2)) / M(delta3).
                double hAfter = Objective(net, loss, x, t, options.L2);
                var thetaAfter = Weights(net);
                Load(net, thetaBefore!);
                double hBefore = Objective(net, loss, x, t, options.L2);
                Load(net, thetaAfter);
                double expected = (hAfter - hBefore) / results[2].ModelChange;
                using (TensorScope.Begin()) results.Add(kfac.Step(net.Forward, x, t));
                Assert.That(results[3].Rho, Is.EqualTo(expected).Within(1e-5 * Math.Max(1, Math.Abs(expected))));
                Assert.That(results[3].Lambda, Is.EqualTo(LevenbergMarquardt.Adjust(results[2].Lambda, expected, options.Omega1, options.MinLambda, options.MaxLambda)).Within(1e-4 * results[2].Lambda));
                continue;
            }
            if (k == 3) thetaBefore = Weights(net);
            using (TensorScope.Begin()) results.Add(kfac.Step(net.Forward, x, t));
        }
        Assert.That(results.Select(r => double.IsNaN(r.Rho)), Is.EqualTo(new[] { true, true, true, false, true, true, false }), "judged on the batch after each T1 step");
        Assert.That(results.Any(r => r.Rejected), Is.False);
    }

    private static double Objective(Sequential net, ILoss loss, Tensor x, Tensor t, double l2)
    {
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        double norm = net.Parameters().Sum(p => p.ToArray<float>().Sum(v => (double)v * v));
        return loss.Value(net.Forward(x), t).Item() + 0.5 * l2 * norm;
    }

    private static void Load(Sequential net, float[][] values)
    {
        var ps = net.Parameters();
        using var noGrad = GradMode.Disable();
        for (int i = 0; i < ps.Count; i++) ps[i].CopyFrom(Tensor.FromArray(values[i], ps[i].Shape));
    }
}

using Kfac.Autodiff;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

/// <summary>
/// <see cref="KfacOptions.RhoFraction"/>: the reduction ratio of Martens &amp; Grosse 2015 section 6.5,
/// rho = (h(theta + delta) - h(theta)) / M(delta), measured on the batch's first rows. Checked against h evaluated
/// here directly on those rows (a separate forward pass on exactly them) before and after each judged step, with M(delta)
/// from the step's result, and shown to differ from the whole batch's rho (so the subset is what was measured).
/// </summary>
public class RhoFractionTests
{
    private static (Tensor X, Tensor T) Data(int m, int seed)
    {
        var rng = new System.Random(seed);
        var x = Tensor.RandN(new Shape(m, 6), rng);
        var labels = Enumerable.Range(0, m).Select(_ => rng.Next(3)).ToArray();
        return (x, SoftmaxOps.OneHot(labels, 3));
    }

    private static Sequential Net(int seed) => new(new Dense(6, 9, rng: new System.Random(seed)), new Tanh(), new Dense(9, 3, rng: new System.Random(seed + 1)));

    /// <summary>h = mean loss over the first <paramref name="rows"/> rows + (eta / 2) |theta|^2, accumulated in double.</summary>
    private static double Objective(Sequential net, Tensor x, Tensor t, int rows, double eta)
    {
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        var xs = Tensor.FromArray<float>(x.ToArray<float>().AsSpan(0, rows * 6), new Shape(rows, 6));
        var ts = Tensor.FromArray<float>(t.ToArray<float>().AsSpan(0, rows * 3), new Shape(rows, 3));
        double loss = new SoftmaxCrossEntropy().Value(net.Forward(xs), ts).Item();
        double norm = net.Parameters().Sum(p => p.ToArray<float>().Sum(v => (double)v * v));
        return loss + 0.5 * eta * norm;
    }

    [TestCase(0.25)]
    [TestCase(0.5)]
    public void RhoIsMeasuredOnTheBatchsFirstRows(double fraction)
    {
        const int m = 128;
        var (x, t) = Data(m, 11);
        int rows = KfacStepPlan.RowsFor(fraction, m);
        var net = Net(4);
        var options = new KfacOptions
        {
            InitialLambda = 3, LambdaInterval = 2, GammaRule = GammaRule.Fixed, RhoEvaluation = RhoEvaluation.SameBatch,
            QuadraticModelFraction = fraction, StatisticsFraction = fraction, RhoFraction = fraction,
        };
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), options);
        int judged = 0, differsFromBatch = 0;
        for (int k = 1; k <= 12; k++)
        {
            double subsetBefore = Objective(net, x, t, rows, options.L2), batchBefore = Objective(net, x, t, m, options.L2);
            KfacStepResult r;
            using (TensorScope.Begin()) r = kfac.Step(net.Forward, x, t);
            if (double.IsNaN(r.Rho)) continue;
            Assert.That(r.Rejected, Is.False, $"step {k}");
            double subsetAfter = Objective(net, x, t, rows, options.L2), batchAfter = Objective(net, x, t, m, options.L2);
            double expected = (subsetAfter - subsetBefore) / r.ModelChange;
            double batchRho = (batchAfter - batchBefore) / r.ModelChange;
            // float32 forward passes of 128 and of `rows` rows round differently; the difference of h is about 1e-2 of h.
            Assert.That(r.Rho, Is.EqualTo(expected).Within(1e-6 + 2e-3 * Math.Abs(expected)), $"step {k}: rho on the first {rows} rows");
            if (Math.Abs(batchRho - expected) > 1e-2 * Math.Abs(expected) + 1e-4) differsFromBatch++;
            judged++;
        }
        Assert.That(judged, Is.GreaterThanOrEqualTo(5), "rho was measured at every second step");
        Assert.That(differsFromBatch, Is.GreaterThan(0), "the subset's rho differs from the whole batch's at some step");
    }

    /// <summary>Rho judged on the next batch takes the same rows of that batch: one forward pass at the old weights on the
    /// subset, and h at the new weights from the main pass's output rows.</summary>
    [Test]
    public void NextBatchRhoUsesTheSameRowsOfTheNextBatch()
    {
        const int m = 96;
        var (x1, t1) = Data(m, 21);
        var (x2, t2) = Data(m, 22);
        int rows = KfacStepPlan.RowsFor(0.25, m);
        var net = Net(6);
        var options = new KfacOptions { InitialLambda = 3, LambdaInterval = 1, GammaRule = GammaRule.Fixed, RhoEvaluation = RhoEvaluation.NextBatch, RhoFraction = 0.25 };
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), options);
        KfacStepResult first;
        using (TensorScope.Begin()) first = kfac.Step(net.Forward, x1, t1);
        Assert.That(first.Rejected, Is.False);
        double after = Objective(net, x2, t2, rows, options.L2);
        KfacStepResult second;
        using (TensorScope.Begin()) second = kfac.Step(net.Forward, x2, t2);
        Assert.That(double.IsNaN(second.Rho), Is.False, "the second step judges the first update");
        // h on the second batch's rows at the weights before the first update: undo it (delta = alpha Delta + mu delta0
        // is not recorded, so rebuild theta_0 from a fresh network with the same seed).
        var fresh = Net(6);
        double before = Objective(fresh, x2, t2, rows, options.L2);
        double expected = (after - before) / first.ModelChange;
        Assert.That(second.Rho, Is.EqualTo(expected).Within(1e-6 + 2e-3 * Math.Abs(expected)));
    }

    /// <summary>On 2 ranks (threads, shards of 8 rows) rho on half of each shard: every rank takes the same decisions and
    /// keeps bit-identical weights, and rho is measured (the rows' losses reduced with the subsets' weights).</summary>
    [Test]
    [NonParallelizable]
    public void TwoRanksAgreeOnRhoFromTheirSubsets()
    {
        var options = new KfacOptions
        {
            InitialLambda = 3, LambdaInterval = 2, GammaRule = GammaRule.TiedToLambda, RhoEvaluation = RhoEvaluation.SameBatch,
            StatisticsFraction = 0.5, QuadraticModelFraction = 0.5, RhoFraction = 0.5,
        };
        var traces = new Kfac.Tests.Distributed.ThreadedCommunicator.Group(2).Run(c => KfacTraceGoldenTests.Trace(options, 20, c).Trace);
        Assert.That(traces[1], Is.EqualTo(traces[0]), "the ranks take the same decisions and keep bit-identical weights");
        int measured = System.Text.RegularExpressions.Regex.Matches(traces[0], @" rho (\S+)").Count(m => m.Groups[1].Value != "NaN");
        Assert.That(measured, Is.GreaterThanOrEqualTo(5), "rho is measured every second step");
    }

    [TestCase(0.0)]
    [TestCase(-0.5)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void AFractionOutsideZeroOneIsRefusedByName(double fraction)
    {
        Assert.That(() => new KfacOptions { RhoFraction = fraction }.Validate(),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("RhoFraction"));
    }

    /// <summary>The default measures the whole batch (the paper's): the same trajectory as before the option existed is
    /// pinned by the golden traces; here, rho equals the batch's.</summary>
    [Test]
    public void TheDefaultIsTheWholeBatch()
    {
        Assert.That(new KfacOptions().RhoFraction, Is.EqualTo(1));
        const int m = 64;
        var (x, t) = Data(m, 31);
        var net = Net(8);
        var options = new KfacOptions { InitialLambda = 3, LambdaInterval = 1, GammaRule = GammaRule.Fixed, RhoEvaluation = RhoEvaluation.SameBatch };
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), options);
        for (int k = 1; k <= 4; k++)
        {
            double before = Objective(net, x, t, m, options.L2);
            KfacStepResult r;
            using (TensorScope.Begin()) r = kfac.Step(net.Forward, x, t);
            double expected = (Objective(net, x, t, m, options.L2) - before) / r.ModelChange;
            Assert.That(r.Rho, Is.EqualTo(expected).Within(1e-6 + 2e-3 * Math.Abs(expected)), $"step {k}");
        }
    }
}

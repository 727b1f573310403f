using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

public class KfacOptimizerTests
{
    /// <summary>A 2-class problem from a fixed random teacher network: learnable, small, deterministic.</summary>
    private static (Tensor X, Tensor T) TeacherData(int m, int seed)
    {
        var rng = new System.Random(seed);
        var x = Tensor.RandN(new Shape(m, 6), rng);
        var teacher = new Sequential(new Dense(6, 8, rng: new System.Random(seed + 1), init: Initializer.GlorotNormal), new Tanh(), new Dense(8, 3, rng: new System.Random(seed + 2), init: Initializer.GlorotNormal));
        var logits = teacher.Forward(x).ToArray<float>();
        var labels = new int[m];
        for (int i = 0; i < m; i++) labels[i] = Enumerable.Range(0, 3).MaxBy(c => logits[i * 3 + c]);
        return (x, SoftmaxOps.OneHot(labels, 3));
    }

    private static Sequential Student(int seed) => new(new Dense(6, 10, rng: new System.Random(seed)), new Tanh(), new Dense(10, 3, rng: new System.Random(seed + 1)));

    private static List<KfacStepResult> Train(Sequential net, KfacOptions options, int steps, Tensor x, Tensor t, ILoss? loss = null)
    {
        var kfac = new KfacOptimizer(net.Parameters(), loss ?? new SoftmaxCrossEntropy(), options);
        var results = new List<KfacStepResult>();
        for (int s = 0; s < steps; s++)
        {
            using var scope = TensorScope.Begin();
            results.Add(kfac.Step(net.Forward, x, t));
        }
        return results;
    }

    [TestCase(CurvatureStructure.BlockDiagonal, FisherEstimation.Sampled)]
    [TestCase(CurvatureStructure.BlockDiagonal, FisherEstimation.Exact)]
    [TestCase(CurvatureStructure.BlockDiagonal, FisherEstimation.Empirical)]
    [TestCase(CurvatureStructure.BlockTridiagonal, FisherEstimation.Sampled)]
    public void ReducesTheLossOfALearnableProblem(CurvatureStructure structure, FisherEstimation estimation)
    {
        var (x, t) = TeacherData(256, 1);
        var results = Train(Student(3), new KfacOptions { InitialLambda = 1, Structure = structure, Estimation = estimation, InverseInterval = 5 }, 40, x, t);
        TestContext.Out.WriteLine($"loss {results[0].Loss:F4} -> {results[^1].Loss:F4}, lambda {results[^1].Lambda:G3}, gamma {results[^1].Gamma:G3}");
        Assert.That(results.Any(r => r.Rejected), Is.False);
        Assert.That(results[^1].Loss, Is.LessThan(0.5 * results[0].Loss));
    }

    [TestCase(StepSizeRule.FixedLearningRate)]
    [TestCase(StepSizeRule.KlClipping)]
    public void AlternativeStepSizeRulesTrain(StepSizeRule rule)
    {
        var (x, t) = TeacherData(256, 2);
        var results = Train(Student(4), new KfacOptions { InitialLambda = 1, StepSize = rule, LearningRate = 0.2, Momentum = 0.5, KlClip = 0.01 }, 40, x, t);
        Assert.That(results[^1].Loss, Is.LessThan(0.7 * results[0].Loss));
        Assert.That(results.All(r => r.Alpha <= 0.2 + 1e-12), Is.True, "the learning rate caps the step");
    }

    [Test]
    public void LambdaFollowsTheLevenbergMarquardtRuleEveryT1Steps()
    {
        var (x, t) = TeacherData(128, 3);
        var options = new KfacOptions { InitialLambda = 10, LambdaInterval = 5, GammaRule = GammaRule.Fixed, RhoEvaluation = RhoEvaluation.SameBatch };
        var results = Train(Student(5), options, 20, x, t);
        for (int k = 1; k <= 20; k++)
        {
            var r = results[k - 1];
            double before = k == 1 ? options.InitialLambda : results[k - 2].Lambda;
            if (k % 5 == 0)
            {
                Assert.That(double.IsNaN(r.Rho), Is.False, $"step {k} computes rho");
                Assert.That(r.Lambda, Is.EqualTo(LevenbergMarquardt.Adjust(before, r.Rho, options.Omega1, options.MinLambda, options.MaxLambda)).Within(1e-12));
            }
            else
            {
                Assert.That(double.IsNaN(r.Rho), Is.True);
                Assert.That(r.Lambda, Is.EqualTo(before));
            }
        }
    }

    /// <summary>A faster LambdaDecay: lambda moves by exactly 0.7^T1 at each judged step (up after a poor rho, down after a
    /// good one), written out here rather than taken from Omega1.</summary>
    [Test]
    public void LambdaDecayIsThePerStepFactorOfTheRule()
    {
        var (x, t) = TeacherData(128, 3);
        var options = new KfacOptions { InitialLambda = 10, LambdaInterval = 5, LambdaDecay = 0.7, GammaRule = GammaRule.Fixed, RhoEvaluation = RhoEvaluation.SameBatch };
        var results = Train(Student(5), options, 20, x, t);
        double factor = Math.Pow(0.7, 5);
        int moved = 0;
        for (int k = 5; k <= 20; k += 5)
        {
            var r = results[k - 1];
            double before = results[k - 2].Lambda;
            double expected = r.Rho > 0.75 ? before * factor : r.Rho < 0.25 || double.IsNaN(r.Rho) ? before / factor : before;
            Assert.That(r.Lambda, Is.EqualTo(Math.Clamp(expected, options.MinLambda, options.MaxLambda)).Within(1e-12 * before), $"step {k}, rho {r.Rho}");
            if (r.Lambda != before) moved++;
        }
        Assert.That(moved, Is.GreaterThan(0), "the rule moved lambda at least once");
    }

    [Test]
    public void GammaIsReChosenEveryT2Steps()
    {
        var (x, t) = TeacherData(128, 4);
        var options = new KfacOptions { InitialLambda = 1, GammaRule = GammaRule.Search, GammaInterval = 4, InverseInterval = 4 };
        var results = Train(Student(6), options, 12, x, t);
        double w = options.Omega2;
        for (int k = 1; k <= 12; k++)
        {
            double before = k == 1 ? options.StartGamma : results[k - 2].Gamma;
            double after = results[k - 1].Gamma;
            if (k == 1 || (k - 1) % 4 != 0) Assert.That(after, Is.EqualTo(before), $"step {k}");
            else Assert.That(new[] { before * w, before, before / w }.Any(g => Math.Abs(g - after) < 1e-12 * before), Is.True, $"step {k}: {after} from {before}");
        }
    }

    /// <summary>Inputs so large that the first layer's input factor overflows float32 (the loss and gradient stay
    /// finite: the tanh units saturate): the inverse cannot be computed at any damping, so the step is rejected
    /// with the weights untouched, that block's statistics are reset, and training recovers on sane data.</summary>
    [Test]
    public void UninvertibleFactorsRejectTheStepResetTheBlockAndTrainingRecovers()
    {
        var (x, t) = TeacherData(64, 8);
        var net = Student(9);
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1, InverseInterval = 1 });
        for (int s = 0; s < 3; s++)
            using (TensorScope.Begin()) kfac.Step(net.Forward, x, t);
        var before = net.Parameters().Select(p => p.ToArray<float>()).ToArray();
        var huge = x.Clone();
        foreach (ref float v in huge.AsSpan<float>()) v *= 1e20f;
        KfacStepResult r;
        using (TensorScope.Begin()) r = kfac.Step(net.Forward, huge, t);
        Assert.That(double.IsFinite(r.Loss), Is.True, "the scenario keeps the loss finite");
        Assert.That(r.Rejected, Is.True);
        Assert.That(r.RejectionReason, Does.Contain("curvature inverse failed"));
        var after = net.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.That(after[i], Is.EqualTo(before[i]), $"parameter {i} unchanged");
        var results = new List<KfacStepResult>();
        for (int s = 0; s < 5; s++)
            using (TensorScope.Begin()) results.Add(kfac.Step(net.Forward, x, t));
        Assert.That(results.Any(q => q.Rejected), Is.False, string.Join("; ", results.Select(q => q.RejectionReason)));
        Assert.That(results[^1].Loss, Is.LessThan(results[0].Loss));
    }

    /// <summary>After a gamma-trial step the cached inverses are exactly those of a fresh refresh at the chosen gamma,
    /// whether the winner was the last candidate tried or was kept aside and restored (KeepInverse).</summary>
    [TestCase(DampingStyle.FactoredTikhonov)]
    [TestCase(DampingStyle.Eigenbasis)]
    public void GammaTrialsLeaveTheInversesOfTheChosenGamma(DampingStyle damping)
    {
        var (x, t) = TeacherData(96, 10);
        var net = Student(11);
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(),
            new KfacOptions { InitialLambda = 1, GammaInterval = 4, InverseInterval = 4, Damping = damping });
        int trialSteps = 0, moved = 0;
        for (int k = 1; k <= 13; k++)
        {
            double before = kfac.Gamma;
            KfacStepResult r;
            using (TensorScope.Begin()) r = kfac.Step(net.Forward, x, t);
            Assert.That(r.Rejected, Is.False, r.RejectionReason);
            if (k == 1 || (k - 1) % 4 != 0) continue;
            trialSteps++;
            if (kfac.Gamma != before) moved++; // the winner was not the last candidate: its inverse was restored
            foreach (var block in kfac.Blocks)
            {
                Assert.That(block.InverseDamping, Is.EqualTo(kfac.Gamma), block.Description);
                var v = block.Parameters.Select((p, i) => Tensor.RandN(p.Shape, new System.Random(100 + i))).ToArray();
                var cached = block.Parameters.Select(p => Tensor.Zeros(p.Shape)).ToArray();
                var fresh = block.Parameters.Select(p => Tensor.Zeros(p.Shape)).ToArray();
                block.MultiplyByDampedPower(v, cached, -1);
                block.RefreshInverse(kfac.Gamma);
                block.MultiplyByDampedPower(v, fresh, -1);
                for (int i = 0; i < v.Length; i++)
                    Assert.That(cached[i].ToArray<float>(), Is.EqualTo(fresh[i].ToArray<float>()), $"step {k}, {block.Description}, tensor {i}");
            }
        }
        Assert.That(trialSteps, Is.EqualTo(3));
        Assert.That(moved, Is.GreaterThan(0), "some trial restored a kept inverse");
    }

    [Test]
    public void NonFiniteLossRejectsTheStepAndLeavesTheWeightsFinite()
    {
        var (x, t) = TeacherData(64, 5);
        var net = Student(7);
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1 });
        for (int s = 0; s < 3; s++)
            using (TensorScope.Begin()) kfac.Step(net.Forward, x, t);
        var before = net.Parameters().Select(p => p.ToArray<float>()).ToArray();
        double lambda = kfac.Lambda;
        var poisoned = x.Clone();
        poisoned.AsSpan<float>()[0] = float.NaN;
        KfacStepResult r;
        using (TensorScope.Begin()) r = kfac.Step(net.Forward, poisoned, t);
        Assert.That(r.Rejected, Is.True);
        Assert.That(r.RejectionReason, Does.Contain("non-finite"));
        Assert.That(kfac.Lambda, Is.GreaterThan(lambda));
        var after = net.Parameters().Select(p => p.ToArray<float>()).ToArray();
        foreach (var a in after) Assert.That(a.All(float.IsFinite), Is.True);
        // The rejected batch rolled back the previous update: the weights are the backup, all finite, and
        // training continues normally.
        using (TensorScope.Begin()) r = kfac.Step(net.Forward, x, t);
        Assert.That(r.Rejected, Is.False);
        Assert.That(before.Length, Is.EqualTo(after.Length));
    }

    /// <summary>The update is formed and applied in one fused pass, so an update that overflows has already been added
    /// to the weights when it is detected: they must come back bit for bit.</summary>
    [Test]
    public void OverflowingUpdateIsRejectedAndTheWeightsAreRestoredExactly()
    {
        var (x, t) = TeacherData(64, 5);
        var net = Student(7);
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(),
            new KfacOptions { InitialLambda = 1, StepSize = StepSizeRule.FixedLearningRate, LearningRate = 1e-3 });
        using (TensorScope.Begin()) kfac.Step(net.Forward, x, t);
        var before = net.Parameters().Select(p => p.ToArray<float>()).ToArray();
        var overflowing = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(),
            new KfacOptions { InitialLambda = 1e-8, StepSize = StepSizeRule.FixedLearningRate, LearningRate = 1e38 });
        KfacStepResult r;
        using (TensorScope.Begin()) r = overflowing.Step(net.Forward, x, t);
        Assert.That(r.Rejected, Is.True);
        Assert.That(r.RejectionReason, Does.Contain("non-finite update"));
        var after = net.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.That(after[i], Is.EqualTo(before[i]), $"parameter {i}");
    }

    [Test]
    public void ParametersWithoutACurvatureBlockAreNamed()
    {
        var net = Student(8);
        var extra = Tensor.Zeros(new Shape(3));
        extra.RequiresGrad = true;
        extra.Name = "stray";
        var (x, t) = TeacherData(16, 6);
        var kfac = new KfacOptimizer([.. net.Parameters(), extra], new SoftmaxCrossEntropy());
        using var scope = TensorScope.Begin();
        Assert.That(() => kfac.Step(i => net.Forward(i) + extra, x, t), Throws.InvalidOperationException.With.Message.Contain("stray"));
    }

    /// <summary>The quadratic model on half the batch while statistics come from the whole batch every other step:
    /// its products replay a pass recorded on its rows. Fresh forward-mode passes (the route taken when some op has no
    /// replay rule) must give the same alpha, mu and losses.</summary>
    [Test]
    public void QuadraticModelOnItsOwnRowsReplaysARecordedPassLikeFreshForwardMode()
    {
        var (x, t) = TeacherData(64, 12);
        var options = new KfacOptions { InitialLambda = 1, QuadraticModelFraction = 0.5, StatisticsInterval = 2, GammaInterval = 3, InverseInterval = 3 };
        List<KfacStepResult> Run(bool replay)
        {
            var net = Student(13);
            var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), options) { ReplayQuadraticModel = replay };
            var results = new List<KfacStepResult>();
            for (int s = 0; s < 8; s++)
                using (TensorScope.Begin()) results.Add(kfac.Step(net.Forward, x, t));
            return results;
        }
        var replayed = Run(true);
        var fresh = Run(false);
        for (int s = 0; s < replayed.Count; s++)
        {
            Assert.That(replayed[s].Loss, Is.EqualTo(fresh[s].Loss).Within(1e-5).Percent, $"loss at step {s}");
            Assert.That(replayed[s].Alpha, Is.EqualTo(fresh[s].Alpha).Within(1e-3).Percent, $"alpha at step {s}");
            Assert.That(replayed[s].Mu, Is.EqualTo(fresh[s].Mu).Within(1e-6 + 1e-5 * Math.Abs(fresh[s].Mu)), $"mu at step {s}");
        }
        Assert.That(replayed[^1].Loss, Is.LessThan(replayed[0].Loss));
    }

    [Test]
    public void StatisticsOnAFractionOfTheBatchTrain()
    {
        var (x, t) = TeacherData(256, 7);
        var results = Train(Student(9), new KfacOptions { InitialLambda = 1, StatisticsFraction = 0.25, QuadraticModelFraction = 0.25 }, 30, x, t);
        Assert.That(results[^1].Loss, Is.LessThan(0.6 * results[0].Loss));
    }
}

public class KfacCheckpointTests
{
    [TestCase(CurvatureStructure.BlockDiagonal)]
    [TestCase(CurvatureStructure.BlockTridiagonal)]
    public void ResumedRunContinuesIdentically(CurvatureStructure structure)
    {
        var rng = new System.Random(3);
        var x = Tensor.RandN(new Shape(64, 5), rng);
        var t = SoftmaxOps.OneHot(Enumerable.Range(0, 64).Select(i => i % 3).ToArray(), 3);
        Sequential Net() => new(new Dense(5, 7, rng: new System.Random(1)), new Sigmoid(), new Dense(7, 3, rng: new System.Random(2)));
        var options = new KfacOptions { InitialLambda = 1, InverseInterval = 3, LambdaInterval = 2, GammaInterval = 4, Structure = structure };

        var a = Net();
        var kfacA = new KfacOptimizer(a.Parameters(), new SoftmaxCrossEntropy(), options);
        for (int s = 0; s < 5; s++) using (TensorScope.Begin()) kfacA.Step(a.Forward, x, t);
        using var saved = kfacA.ExportState();
        var savedModel = a.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());

        var b = Net();
        b.LoadStateDict(savedModel);
        var kfacB = new KfacOptimizer(b.Parameters(), new SoftmaxCrossEntropy(), options);
        kfacB.ImportState(saved);
        Assert.That(kfacB.Iteration, Is.EqualTo(5));

        for (int s = 0; s < 7; s++)
        {
            KfacStepResult ra, rb;
            using (TensorScope.Begin()) ra = kfacA.Step(a.Forward, x, t);
            using (TensorScope.Begin()) rb = kfacB.Step(b.Forward, x, t);
            Assert.That(rb.Loss, Is.EqualTo(ra.Loss), $"step {s}");
            Assert.That(rb.Lambda, Is.EqualTo(ra.Lambda));
            Assert.That(rb.Gamma, Is.EqualTo(ra.Gamma));
        }
        foreach (var (pa, pb) in a.Parameters().Zip(b.Parameters()))
            Assert.That(pb.ToArray<float>(), Is.EqualTo(pa.ToArray<float>()));
    }

    [Test]
    public void ImportingIntoADifferentNetworkFailsClearly()
    {
        var x = Tensor.RandN(new Shape(8, 5), new System.Random(1));
        var t = SoftmaxOps.OneHot([0, 1, 2, 0, 1, 2, 0, 1], 3);
        var a = new Sequential(new Dense(5, 7), new Sigmoid(), new Dense(7, 3));
        var kfacA = new KfacOptimizer(a.Parameters(), new SoftmaxCrossEntropy());
        using (TensorScope.Begin()) kfacA.Step(a.Forward, x, t);
        using var saved = kfacA.ExportState();
        var b = new Sequential(new Dense(5, 6), new Sigmoid(), new Dense(6, 3));
        var kfacB = new KfacOptimizer(b.Parameters(), new SoftmaxCrossEntropy());
        Assert.That(() => kfacB.ImportState(saved), Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("kfac.previous.0").And.Message.Contain("[7, 5]").And.Message.Contain("[6, 5]"));
    }
}

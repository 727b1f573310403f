using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;
using Kfac.Training.Distributed;
using NUnit.Framework;

namespace Kfac.Tests.Training;

/// <summary><see cref="TrainingSteps.Create"/>: one step per name in <see cref="OptimizerNames.Known"/>, built with exactly
/// the options of <see cref="OptimizerChoice"/>, equal step for step to the hand-built step; and every step exports,
/// imports and (first-order) resets its own state and learning rate through <see cref="ITrainingStep"/>.</summary>
public class TrainingStepsTests
{
    private const int Batch = 8;

    private static Sequential Model() => Mlp.Create([4, 6, 3], Activation.Tanh, seed: 3);

    private static (Tensor X, Tensor T) Data()
    {
        var rng = new Random(11);
        var x = Tensor.FromDoubles(Enumerable.Range(0, Batch * 4).Select(_ => rng.NextDouble() - 0.5).ToArray(), new Shape(Batch, 4), DType.Float32);
        var t = SoftmaxOps.OneHot(Enumerable.Range(0, Batch).Select(i => i % 3).ToArray(), 3);
        return (x, t);
    }

    private static readonly OptimizerChoice Choice = new()
    {
        Sgd = new SgdOptions { LearningRate = 0.07, Momentum = 0.8, WeightDecay = 1e-3 },
        Adam = new AdamOptions { LearningRate = 0.02, Beta1 = 0.8 },
        RmsProp = new RmsPropOptions { LearningRate = 0.01, Alpha = 0.9 },
        Kfac = new KfacOptions { InitialLambda = 2, InverseInterval = 2, Seed = 5 },
    };

    /// <summary>The step the factory must build, written out by hand.</summary>
    private static ITrainingStep HandBuilt(string name, Module model, ILoss loss) => name switch
    {
        "sgd" => new FirstOrderStep(model, loss, new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.07, WeightDecay = 1e-3 }), "sgd"),
        "momentum" => new FirstOrderStep(model, loss, new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.07, Momentum = 0.8, WeightDecay = 1e-3 }), "momentum"),
        "nesterov" => new FirstOrderStep(model, loss, new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.07, Momentum = 0.8, WeightDecay = 1e-3, Nesterov = true }), "nesterov"),
        "adam" => new FirstOrderStep(model, loss, new Adam(model.Parameters(), new AdamOptions { LearningRate = 0.02, Beta1 = 0.8 }), "adam"),
        "rmsprop" => new FirstOrderStep(model, loss, new RmsProp(model.Parameters(), new RmsPropOptions { LearningRate = 0.01, Alpha = 0.9 }), "rmsprop"),
        "kfac" => new KfacStep(model, new KfacOptimizer(model.Parameters(), loss, new KfacOptions { InitialLambda = 2, InverseInterval = 2, Seed = 5 })),
        _ => throw new ArgumentException(name),
    };

    [Test]
    public void EveryKnownNameIsBuilt() =>
        Assert.That(OptimizerNames.Known, Is.EquivalentTo(new[] { "sgd", "momentum", "nesterov", "adam", "rmsprop", "kfac" }));

    [TestCaseSource(typeof(OptimizerNames), nameof(OptimizerNames.Known))]
    public void TheFactorysStepTrainsExactlyLikeTheHandBuiltOne(string name)
    {
        var (x, t) = Data();
        var loss = new SoftmaxCrossEntropy();
        var a = Model();
        var b = Model();
        var built = TrainingSteps.Create(a, loss, Choice with { Name = name });
        var reference = HandBuilt(name, b, loss);
        Assert.That(built.OptimizerName, Is.EqualTo(name));
        Assert.That(built.GetType(), Is.EqualTo(reference.GetType()));
        for (int s = 0; s < 4; s++)
        {
            double la, lb;
            using (TensorScope.Begin()) la = built.Step(x, t);
            using (TensorScope.Begin()) lb = reference.Step(x, t);
            Assert.That(la, Is.EqualTo(lb), $"{name}: loss of step {s + 1}");
        }
        Assert.That(a.Parameters().Select(p => p.ToDoubleArray()), Is.EqualTo(b.Parameters().Select(p => p.ToDoubleArray())), $"{name}: weights after 4 steps");
    }

    [TestCase("sgd", 0.0, false)]
    [TestCase("SGD", 0.0, false)]
    [TestCase("momentum", 0.8, false)]
    [TestCase("nesterov", 0.8, true)]
    public void TheSgdVariantsTakeTheirMomentumFromTheName(string name, double momentum, bool nesterov)
    {
        var step = (FirstOrderStep)TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), Choice with { Name = name });
        var options = ((Sgd)step.Optimizer).Defaults;
        Assert.That(options, Is.EqualTo(Choice.Sgd with { Momentum = momentum, Nesterov = nesterov }));
        Assert.That(step.OptimizerName, Is.EqualTo(name.ToLowerInvariant()));
    }

    [Test]
    public void AnUnknownNameIsRefusedListingTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), new OptimizerChoice { Name = "lbfgs" }))!;
        Assert.That(e.Message, Does.Contain("'lbfgs'").And.Contain("sgd, momentum, nesterov, adam, rmsprop, kfac"));
        Assert.That(e.ParamName, Is.EqualTo("Name"));
    }

    [Test]
    public void MomentumWithoutMomentumIsRefusedNamingTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), new OptimizerChoice { Name = "momentum" }))!;
        Assert.That(e.Message, Does.Contain("SgdOptions.Momentum > 0").And.Contain("got 0"));
    }

    [Test]
    public void BadOptionsOfTheChosenOptimizerAreRefusedOthersAreNot()
    {
        var bad = Choice with { Adam = new AdamOptions { Beta1 = 1.5 } };
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), bad with { Name = "adam" }));
        Assert.DoesNotThrow(() => TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), bad with { Name = "sgd" }));
    }

    [Test]
    public void WithACommunicatorTheStepsAreDataParallel()
    {
        var loss = new SoftmaxCrossEntropy();
        var c = SingleProcessCommunicator.Instance;
        Assert.That(TrainingSteps.Create(Model(), loss, Choice with { Name = "adam" }, c), Is.InstanceOf<DataParallelStep>().With.Property("OptimizerName").EqualTo("adam"));
        Assert.That(TrainingSteps.Create(Model(), loss, Choice with { Name = "kfac" }, c), Is.InstanceOf<DistributedKfacStep>());
    }

    /// <summary>Export after 3 steps, import into a fresh step on a copy of the weights: the next steps equal the original's.</summary>
    [TestCaseSource(typeof(OptimizerNames), nameof(OptimizerNames.Known))]
    public void AStepsExportedStateContinuesTheTrajectory(string name)
    {
        var (x, t) = Data();
        var loss = new SoftmaxCrossEntropy();
        var a = Model();
        var first = TrainingSteps.Create(a, loss, Choice with { Name = name });
        for (int s = 0; s < 3; s++)
            using (TensorScope.Begin()) first.Step(x, t);
        var b = Model();
        b.LoadStateDict(a.StateDict());
        var second = TrainingSteps.Create(b, loss, Choice with { Name = name });
        using (var state = first.ExportState()) second.ImportState(state);
        for (int s = 0; s < 2; s++)
        {
            double la, lb;
            using (TensorScope.Begin()) la = first.Step(x, t);
            using (TensorScope.Begin()) lb = second.Step(x, t);
            Assert.That(lb, Is.EqualTo(la), $"{name}: step {s + 4} after the import");
        }
    }

    [Test]
    public void ImportingAnotherOptimizersStateIsRefused()
    {
        var adam = TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), Choice with { Name = "adam" });
        var sgd = TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), Choice with { Name = "sgd" });
        using var state = adam.ExportState();
        Assert.Throws<ArgumentException>(() => sgd.ImportState(state));
    }

    [TestCase("sgd")]
    [TestCase("adam")]
    public void AFirstOrderStepsLearningRateIsStateAndCanBeSet(string name)
    {
        var step = TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), Choice with { Name = name });
        Assert.That(step.LearningRate, Is.EqualTo(name == "sgd" ? 0.07 : 0.02));
        step.SetLearningRate(0.5);
        Assert.That(step.LearningRate, Is.EqualTo(0.5));
        Assert.That(((FirstOrderStep)step).Optimizer.Groups.Select(g => g.LearningRate), Is.All.EqualTo(0.5));
    }

    [Test]
    public void KfacsLearningRateIsConfigurationNotState()
    {
        var step = TrainingSteps.Create(Model(), new SoftmaxCrossEntropy(), Choice with { Name = "kfac" });
        Assert.That(step.LearningRate, Is.Null);
        var e = Assert.Throws<NotSupportedException>(() => step.SetLearningRate(0.1))!;
        Assert.That(e.Message, Does.Contain("KfacOptions.LearningRate"));
    }
}

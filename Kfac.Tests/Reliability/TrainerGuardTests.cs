using Kfac.Data;
using Kfac.Ops;
using Kfac.Serialization;
using Kfac.Tensors;
using Kfac.Training;
using NUnit.Framework;
using static Kfac.Tests.Reliability.ReliabilityFixture;

namespace Kfac.Tests.Reliability;

/// <summary>The Trainer refuses setups that cannot train (before any step) and stops a diverged run with a
/// message; AtomicFile removes the partial files of a killed writer.</summary>
public class TrainerGuardTests
{
    [TestCase("steps")]
    [TestCase("epochs")]
    [TestCase("seconds")]
    public void BatchLargerThanTheDataWithDropLastFailsBeforeTraining(string budgetKind)
    {
        var (x, labels) = TinyData();
        var model = Model(seed: 1);
        var step = Step("sgd", model);
        using var loader = new DataLoader(x, labels, batchSize: ExampleCount + 1, dropLast: true);
        var budget = budgetKind switch
        {
            "steps" => new TrainingBudget { Steps = 3 },
            "epochs" => new TrainingBudget { Epochs = 2 },
            _ => new TrainingBudget { Seconds = 30 },
        };
        var trainer = new Trainer(step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), budget);
        var run = Task.Run(trainer.Run);
        Assert.That(Task.WaitAny([run], TimeSpan.FromSeconds(20)), Is.EqualTo(0), "fails fast, no empty-epoch loop");
        var e = (UserInputException)run.Exception!.InnerException!;
        Assert.That(e.Message, Does.Contain($"{ExampleCount} training examples with batch size {ExampleCount + 1}"));
    }

    [Test]
    public void DivergedRunStopsWithAMessage()
    {
        var (x, labels) = TinyData();
        var model = Model(seed: 1, Kfac.Layers.Activation.Relu);
        var step = Step("sgd", model, learningRate: 1e30);
        using var loader = new DataLoader(x, labels, BatchSize);
        var trainer = new Trainer(step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), new TrainingBudget { Steps = 100_000 }) { MaxConsecutiveNonFiniteSteps = 10 };
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run())!;
        Assert.That(e.Message, Does.Contain("training diverged").And.Contain("--lr"));
        Assert.That(trainer.Position.Step, Is.LessThan(100), "stopped early");
    }

    [Test]
    public void StartBatchOutsideTheEpochIsRefused()
    {
        var (x, labels) = TinyData();
        using var loader = new DataLoader(x, labels, BatchSize);
        var trainer = new Trainer(Step("sgd", Model(1)), loader, b => SoftmaxOps.OneHot(b.Labels!, 2), new TrainingBudget { Steps = 1 }) { StartBatch = 5 };
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Run())!.Message, Does.Contain("5 batches"));
    }

    [Test]
    public void StaleTemporariesOfAKilledWriterAreRemovedAtTheNextSave()
    {
        using var dir = TempDir();
        string target = dir.File("ckpt.safetensors");
        string stale1 = dir.File($".ckpt.safetensors.{Guid.NewGuid():N}.tmp");
        string stale2 = dir.File($".ckpt.safetensors.{Guid.NewGuid():N}.tmp");
        string other = dir.File($".other.safetensors.{Guid.NewGuid():N}.tmp");
        string lookalike = dir.File(".ckpt.safetensors.notaguid.tmp");
        foreach (var f in new[] { stale1, stale2, other, lookalike }) File.WriteAllText(f, "partial");
        SafeTensors.Save(target, new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(new Shape(2)) });
        Assert.That(File.Exists(stale1) || File.Exists(stale2), Is.False);
        Assert.That(File.Exists(other) && File.Exists(lookalike), Is.True, "other files' temporaries and non-matching names stay");
        Assert.That(AtomicFile.RemoveStaleTemporaries(target), Is.EqualTo(0));
    }
}

/// <summary>K-FAC block state is applied at the first step (the blocks exist only after a forward pass): a state
/// written for another block structure is a user error then, before any block is touched.</summary>
public class KfacDeferredImportTests
{
    [Test]
    public void StateFromAnotherBlockStructureIsAUserErrorAtTheFirstStep()
    {
        var (x, labels) = TinyData();
        var targets = SoftmaxOps.OneHot(labels, 2);
        var a = Model(seed: 5);
        var kfacA = new Kfac.Optim.Kfac.KfacOptimizer(a.Parameters(), new Kfac.Losses.SoftmaxCrossEntropy(), new Kfac.Optim.Kfac.KfacOptions { InitialLambda = 1 });
        using (TensorScope.Begin()) kfacA.Step(a.Forward, x, targets);
        using var state = kfacA.ExportState();

        var b = Model(seed: 5);
        var kfacB = new Kfac.Optim.Kfac.KfacOptimizer(b.Parameters(), new Kfac.Losses.SoftmaxCrossEntropy(),
            new Kfac.Optim.Kfac.KfacOptions { InitialLambda = 1, Structure = Kfac.Optim.Kfac.CurvatureStructure.BlockTridiagonal });
        kfacB.ImportState(state);
        var e = Assert.Throws<UserInputException>(() => { using (TensorScope.Begin()) kfacB.Step(b.Forward, x, targets); })!;
        Assert.That(e.Message, Does.Contain("written for a different network"));
    }
}

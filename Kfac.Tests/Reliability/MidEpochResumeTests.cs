using Kfac.Data;
using Kfac.Ops;
using Kfac.Tensors;
using Kfac.Training;
using NUnit.Framework;
using static Kfac.Tests.Reliability.ReliabilityFixture;

namespace Kfac.Tests.Reliability;

/// <summary>
/// Resuming mid-epoch continues bit-identically: N steps straight equal k steps, a checkpoint, brand-new model,
/// optimizer and loader objects (what a new process has), a restore, and N - k more steps. The loader's position
/// (epoch, next batch, seed, batch size) is part of the checkpoint, so the resumed run sees exactly the batches
/// the uninterrupted one saw.
/// </summary>
public class MidEpochResumeTests
{
    private const int TotalSteps = 13; // 5 batches per epoch: ends in epoch 2

    [TestCase("sgd", 3)]
    [TestCase("sgd", 7)]
    [TestCase("adam", 2)]
    [TestCase("adam", 8)]
    [TestCase("kfac", 3)]
    [TestCase("kfac", 6)]
    [TestCase("kfac", 11)]
    public void ResumedRunIsBitIdenticalToAnUninterruptedOne(string optimizer, int stopAt)
    {
        var straight = Train(optimizer, TotalSteps, resumeFrom: null, out _);
        using var dir = TempDir();
        string path = dir.File("mid.safetensors");
        var first = Train(optimizer, stopAt, resumeFrom: null, out var position, saveTo: path);
        Assert.That(position.Batch, Is.Not.EqualTo(0), "the checkpoint is mid-epoch");
        var resumed = Train(optimizer, TotalSteps, resumeFrom: path, out var end);
        Assert.That(end.Step, Is.EqualTo(TotalSteps));
        foreach (var (name, values) in straight)
            Assert.That(resumed[name], Is.EqualTo(values), $"{optimizer}: '{name}' after {TotalSteps} steps, resumed at {stopAt}");
        Assert.That(first.Keys, Is.EquivalentTo(straight.Keys));
    }

    [Test]
    public void RestartingTheEpochAtBatchZeroWouldDiffer()
    {
        // The mutation the test above guards against: ignore the batch index and the weights differ.
        var straight = Train("sgd", TotalSteps, resumeFrom: null, out _);
        using var dir = TempDir();
        string path = dir.File("mid.safetensors");
        Train("sgd", 7, resumeFrom: null, out _, saveTo: path);
        var resumed = Train("sgd", TotalSteps, resumeFrom: path, out _, ignoreBatch: true);
        Assert.That(straight.Any(kv => !kv.Value.SequenceEqual(resumed[kv.Key])), Is.True);
    }

    private static Dictionary<string, float[]> Train(string optimizer, int steps, string? resumeFrom, out TrainingPosition end, string? saveTo = null, bool ignoreBatch = false)
    {
        var (x, labels) = TinyData();
        var model = Model(seed: 5);
        var step = Step(optimizer, model);
        using var loader = new DataLoader(x, labels, BatchSize, seed: LoaderSeed);
        var start = new TrainingPosition(0, 0, 0, LoaderSeed, BatchSize);
        if (resumeFrom is not null) start = Checkpoint.Restore(resumeFrom, model, s => Import(step, s), step.OptimizerName);
        var trainer = new Trainer(step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), new TrainingBudget { Steps = steps })
        {
            LogEverySeconds = 1e9,
            StartStep = start.Step,
            StartEpoch = start.Epoch,
            StartBatch = ignoreBatch ? 0 : start.Batch,
        };
        trainer.Run();
        end = trainer.Position;
        if (saveTo is not null)
        {
            var metadata = end.ToMetadata();
            metadata["optimizer"] = step.OptimizerName;
            using var state = Export(step);
            Checkpoint.Save(saveTo, model, state, metadata);
        }
        return model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());
    }
}

using Kfac.Data;
using Kfac.Examples;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Serialization;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Reliability;

/// <summary>
/// The examples' code path in-process: a miniature example built exactly like examples/Classifier (ExampleCommand,
/// Optimizers, ExampleRunner) on a small in-memory data set, run through <see cref="ExampleMain.Invoke"/>. User
/// errors print one line "error: ..." on stderr with exit code 2, finish within a time limit (no hang), and leave
/// existing logs and checkpoints as they were.
/// </summary>
[NonParallelizable]
public class ExampleMainTests
{
    /// <summary>Runs the miniature example with <paramref name="arguments"/> ({dir} is a temporary directory).</summary>
    private static ExampleEntryRunner.Outcome Run(string arguments, string dir, int examples = ReliabilityFixture.ExampleCount, Action? bug = null)
    {
        var command = new ExampleCommand("miniature example", defaultBatch: ReliabilityFixture.BatchSize);
        command.Root.SetAction(parse =>
        {
            var s = command.Read(parse);
            bug?.Invoke();
            var (x, labels) = ReliabilityFixture.TinyData();
            var train = new LabeledData(examples == x.Shape[0] ? x : Tensor.Zeros(new Shape(examples, 4)), labels[..examples], 2);
            var model = Mlp.Create([4, 6, 2], Activation.Relu, seed: s.Seed);
            var loss = new SoftmaxCrossEntropy();
            var step = Optimizers.Create(s, model, loss);
            using var loader = new DataLoader(train, s.BatchSize, shuffle: true, seed: s.Seed, dropLast: true);
            ExampleRunner.Run(s, model, step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), () => new Dictionary<string, double> { ["score"] = 1 });
            return 0;
        });
        return ExampleEntryRunner.Run(command.Root, arguments, dir);
    }

    [TestCase("--threads -3", "--threads")]
    [TestCase("--no-such-option 1", "--no-such-option")]
    [TestCase("--steps two", "two")]
    [TestCase("--batch-size 41 --steps 3", "no training batches")]
    [TestCase("--batch-size 41 --epochs 2", "no training batches")]
    [TestCase("--batch-size 41 --seconds 5", "no training batches")]
    [TestCase("--optimizer sgd --lr 1e30 --steps 1000", "training diverged")]
    [TestCase("--resume {dir}/missing.safetensors --steps 2", "--resume")]
    [TestCase("--optimizer kfac --lambda 2 --min-lambda 5 --steps 2", "--lambda 2 is below --min-lambda 5")]
    public void UserErrorIsOneLineWithExitCode2(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        ExampleEntryRunner.AssertUserError(Run(arguments, dir.Path), expected);
    }

    [TestCase("--steps 2")]
    [TestCase("--epochs 1")]
    [TestCase("--seconds 2")]
    public void ZeroTrainingExamplesFailFast(string budget)
    {
        using var dir = ReliabilityFixture.TempDir();
        ExampleEntryRunner.AssertUserError(Run(budget, dir.Path, examples: 0), "0 training examples");
    }

    [Test]
    public void FailingStartLeavesAnExistingLogIntact()
    {
        using var dir = ReliabilityFixture.TempDir();
        string log = Path.Combine(dir.Path, "existing.jsonl");
        File.WriteAllText(log, "{\"step\":1}\n");
        ExampleEntryRunner.AssertUserError(Run("--seconds 0 --log {dir}/existing.jsonl", dir.Path), "--seconds");
        ExampleEntryRunner.AssertUserError(Run("--batch-size 41 --steps 2 --log {dir}/existing.jsonl", dir.Path), "no training batches");
        ExampleEntryRunner.AssertUserError(Run("--resume {dir}/none.safetensors --log {dir}/existing.jsonl", dir.Path), "--resume");
        Assert.That(File.ReadAllText(log), Is.EqualTo("{\"step\":1}\n"));
    }

    [Test]
    public void CorruptCheckpointOnResumeIsOneLineAndTheFileIsKept()
    {
        using var dir = ReliabilityFixture.TempDir();
        string ckpt = Path.Combine(dir.Path, "run.safetensors");
        Assert.That(Run("--optimizer adam --steps 3 --checkpoint {dir}/run.safetensors", dir.Path).ExitCode, Is.EqualTo(0));
        var (tensors, meta) = SafeTensors.Load(ckpt);
        var key = tensors.Keys.First(k => k.StartsWith("model.", StringComparison.Ordinal));
        var poisoned = tensors[key].ToArray<float>();
        poisoned[0] = float.NaN;
        tensors[key] = Tensor.FromArray<float>(poisoned, tensors[key].Shape);
        SafeTensors.Save(ckpt, tensors, meta);
        var bytes = File.ReadAllBytes(ckpt);
        ExampleEntryRunner.AssertUserError(Run("--optimizer adam --steps 6 --resume {dir}/run.safetensors --checkpoint {dir}/run.safetensors", dir.Path), $"tensor '{key}'");
        Assert.That(File.ReadAllBytes(ckpt), Is.EqualTo(bytes), "the refused checkpoint is not overwritten");
    }

    [Test]
    public void ResumeWithANewLearningRateHonoursItAndSaysSo()
    {
        using var dir = ReliabilityFixture.TempDir();
        Assert.That(Run("--optimizer sgd --lr 0.05 --steps 3 --checkpoint {dir}/c.safetensors", dir.Path).ExitCode, Is.EqualTo(0));
        var o = Run("--optimizer sgd --lr 0.01 --steps 5 --resume {dir}/c.safetensors --checkpoint {dir}/c.safetensors", dir.Path);
        Assert.That(o.ExitCode, Is.EqualTo(0), o.Error);
        Assert.That(o.Out, Does.Contain("learning rate 0.01 from --lr (the checkpoint had 0.05)"));
        using var contents = Kfac.Training.Checkpoint.Load(Path.Combine(dir.Path, "c.safetensors"));
        Assert.That(contents.Optimizer.Metadata["group.0.lr"], Is.EqualTo("0.01"), "the new rate is used and saved");
        Assert.That(contents.Metadata["step"], Is.EqualTo("5"));
    }

    [Test]
    public void StalePartialCheckpointFilesAreRemovedAtStart()
    {
        using var dir = ReliabilityFixture.TempDir();
        string stale = Path.Combine(dir.Path, $".c.safetensors.{Guid.NewGuid():N}.tmp");
        string unrelated = Path.Combine(dir.Path, ".other.safetensors.tmp");
        File.WriteAllText(stale, "half a checkpoint");
        File.WriteAllText(unrelated, "not ours");
        var o = Run("--steps 2 --checkpoint {dir}/c.safetensors", dir.Path);
        Assert.That(o.ExitCode, Is.EqualTo(0), o.Error);
        Assert.That(File.Exists(stale), Is.False);
        Assert.That(File.Exists(unrelated), Is.True, "only the checkpoint's own temporaries are removed");
        Assert.That(Directory.GetFiles(dir.Path, ".c.safetensors.*"), Is.Empty);
    }

    [Test]
    public void GenuineBugKeepsItsException()
    {
        using var dir = ReliabilityFixture.TempDir();
        var e = Assert.Throws<AggregateException>(() => Run("--steps 1", dir.Path, bug: () => throw new InvalidOperationException("a bug")))!;
        Assert.That(e.InnerException, Is.TypeOf<InvalidOperationException>(), "not turned into a one-line user error");
    }
}

using Kfac.Distributed;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Tensors;
using Kfac.Training;
using Kfac.Training.Distributed;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>DataParallelStep on one rank must be exactly the ordinary step (the multi-rank behaviour is tested
/// under mpirun by <see cref="MpiRunTests"/>).</summary>
public class DataParallelStepTests
{
    private static (Tensor X, Tensor T) Batch(int seed)
    {
        var rng = new Random(seed);
        var x = Tensor.RandN(new Shape(16, 5), rng);
        var labels = Enumerable.Range(0, 16).Select(_ => rng.Next(3)).ToArray();
        return (x, SoftmaxOps.OneHot(labels, 3));
    }

    [Test]
    public void OnOneRankItIsBitIdenticalToTheOrdinaryStep()
    {
        var a = Mlp.Create([5, 8, 3], seed: 4);
        var b = Mlp.Create([5, 8, 3], seed: 4);
        var loss = new SoftmaxCrossEntropy();
        using var optA = new Adam(a.Parameters(), new AdamOptions { LearningRate = 0.01 });
        using var optB = new Adam(b.Parameters(), new AdamOptions { LearningRate = 0.01 });
        var parallel = new DataParallelStep(a, loss, optA, "adam", SingleProcessCommunicator.Instance);
        var plain = new FirstOrderStep(b, loss, optB, "adam");
        for (int step = 0; step < 5; step++)
        {
            using var scope = TensorScope.Begin();
            var (x, t) = Batch(step);
            Assert.That(parallel.Step(x, t), Is.EqualTo(plain.Step(x, t)), $"loss at step {step}");
        }
        var pa = a.Parameters();
        var pb = b.Parameters();
        for (int i = 0; i < pa.Count; i++) Assert.That(pa[i].ToArray<float>(), Is.EqualTo(pb[i].ToArray<float>()), $"parameter {i}");
    }

    [Test]
    public void ANonFiniteLossSkipsTheStepWithoutTouchingTheWeights()
    {
        var model = Mlp.Create([5, 8, 3], seed: 5);
        using var opt = new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.1 });
        var step = new DataParallelStep(model, new SoftmaxCrossEntropy(), opt, "sgd", SingleProcessCommunicator.Instance);
        var before = model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        using var scope = TensorScope.Begin();
        var (x, t) = Batch(1);
        var bad = x.ToArray<float>();
        bad[3] = float.NaN;
        Assert.That(step.Step(Tensor.FromArray<float>(bad, x.Shape), t), Is.NaN);
        Assert.That(step.SkippedSteps, Is.EqualTo(1));
        var after = model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.That(after[i], Is.EqualTo(before[i]));
    }

    [Test]
    public void MismatchedTargetsAndForeignParametersAreRejected()
    {
        var model = Mlp.Create([5, 8, 3], seed: 6);
        var other = Mlp.Create([5, 8, 3], seed: 6);
        using var foreign = new Sgd(other.Parameters(), new SgdOptions { LearningRate = 0.1 });
        Assert.Throws<ArgumentException>(() => new DataParallelStep(model, new SoftmaxCrossEntropy(), foreign, "sgd", SingleProcessCommunicator.Instance));
        using var opt = new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.1 });
        var step = new DataParallelStep(model, new SoftmaxCrossEntropy(), opt, "sgd", SingleProcessCommunicator.Instance);
        using var scope = TensorScope.Begin();
        var (x, _) = Batch(2);
        var e = Assert.Throws<ArgumentException>(() => step.Step(x, SoftmaxOps.OneHot([0, 1], 3)));
        Assert.That(e!.Message, Does.Contain("16"));
    }
}

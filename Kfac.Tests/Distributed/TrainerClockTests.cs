using Kfac.Data;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Tensors;
using Kfac.Training;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>Trainer.SynchronizeSeconds: the clock the ranks agree on decides when a time budget ends.</summary>
public class TrainerClockTests
{
    private static long StepsWithClock(Func<double, double>? synchronize)
    {
        var rng = new Random(1);
        var x = Tensor.RandN(new Shape(64, 4), rng);
        var labels = Enumerable.Range(0, 64).Select(i => i % 2).ToArray();
        var model = Mlp.Create([4, 8, 2], seed: 1);
        using var opt = new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.1 });
        using var loader = new DataLoader(x, labels, batchSize: 8, seed: 1);
        var trainer = new Trainer(new FirstOrderStep(model, new SoftmaxCrossEntropy(), opt, "sgd"), loader,
            b => SoftmaxOps.OneHot(b.Labels!, 2), new TrainingBudget { Seconds = 30, Steps = 12 })
        {
            LogEverySeconds = 1e9,
            SynchronizeSeconds = synchronize,
        };
        return trainer.Run().Steps;
    }

    [Test]
    public void TheAgreedClockEndsATimeBudget()
    {
        Assert.That(StepsWithClock(null), Is.EqualTo(12), "the step budget ends a run that the time budget does not");
        int calls = 0;
        // The agreed clock (a slower peer's) passes the budget during the first step: the run stops after it,
        // although this rank's own clock is far from 30 s.
        Assert.That(StepsWithClock(s => ++calls >= 2 ? s + 1000 : s), Is.EqualTo(1));
        Assert.That(calls, Is.GreaterThanOrEqualTo(2), "consulted before the first epoch and after the step");
    }
}

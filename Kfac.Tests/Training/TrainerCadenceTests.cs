using Kfac.Data;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Serialization;
using Kfac.Tensors;
using Kfac.Training;
using NUnit.Framework;

namespace Kfac.Tests.Training;

/// <summary>Trainer evaluations every N steps or N epochs (besides every N seconds), and optimizer names derived
/// from the optimizer.</summary>
public class TrainerCadenceTests
{
    private static List<long> RecordedSteps(long? everySteps, int? everyEpochs, long steps)
    {
        var x = Tensor.RandN(new Shape(24, 3), new System.Random(1));
        var labels = Enumerable.Range(0, 24).Select(i => i % 2).ToArray();
        var model = Mlp.Create([3, 4, 2], seed: 1);
        var step = new FirstOrderStep(model, new SoftmaxCrossEntropy(), new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.1 }));
        using var loader = new DataLoader(x, labels, batchSize: 8); // 3 batches per epoch
        string path = Path.Combine(Path.GetTempPath(), $"kfac-cadence-{Guid.NewGuid():N}.jsonl");
        try
        {
            using (var log = MetricsLog.Open(path, append: false))
                new Trainer(step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), new TrainingBudget { Steps = steps })
                {
                    Log = log,
                    LogEverySeconds = double.PositiveInfinity,
                    EvaluateEverySteps = everySteps,
                    EvaluateEveryEpochs = everyEpochs,
                }.Run();
            return MetricsLog.ReadAll(path).Select(r => long.Parse(r["step"].ToString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void EvaluatesEveryNSteps() => Assert.That(RecordedSteps(everySteps: 4, everyEpochs: null, steps: 10), Is.EqualTo(new long[] { 4, 8, 10 }));

    [Test]
    public void EvaluatesAtTheEndOfEveryNEpochs() => Assert.That(RecordedSteps(everySteps: null, everyEpochs: 2, steps: 13), Is.EqualTo(new long[] { 6, 12, 13 }));

    [Test]
    public void FinalRecordIsNotDuplicated() => Assert.That(RecordedSteps(everySteps: 5, everyEpochs: null, steps: 10), Is.EqualTo(new long[] { 5, 10 }));

    [Test]
    public void OnlyAtTheEndWithoutCadence() => Assert.That(RecordedSteps(everySteps: null, everyEpochs: null, steps: 7), Is.EqualTo(new long[] { 7 }));

    [Test]
    public void BadCadenceIsRefused()
    {
        using var loader = new DataLoader(Tensor.Zeros(new Shape(4, 3)), [0, 1, 0, 1], batchSize: 2);
        var model = Mlp.Create([3, 2], seed: 1);
        var step = new FirstOrderStep(model, new SoftmaxCrossEntropy(), new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.1 }));
        Trainer Make(long? s, int? e, double sec) => new(step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), new TrainingBudget { Steps = 1 })
        { EvaluateEverySteps = s, EvaluateEveryEpochs = e, LogEverySeconds = sec };
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Make(0, null, 5).Run())!.ParamName, Is.EqualTo("EvaluateEverySteps"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Make(null, -1, 5).Run())!.ParamName, Is.EqualTo("EvaluateEveryEpochs"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Make(null, null, -5).Run())!.ParamName, Is.EqualTo("LogEverySeconds"));
    }

    [TestCase("sgd")]
    [TestCase("momentum")]
    [TestCase("nesterov")]
    [TestCase("adam")]
    [TestCase("rmsprop")]
    public void OptimizerNameIsDerivedFromTheOptimizer(string expected)
    {
        var model = Mlp.Create([3, 2], seed: 1);
        var p = model.Parameters();
        Optimizer optimizer = expected switch
        {
            "sgd" => new Sgd(p, new SgdOptions { LearningRate = 0.1 }),
            "momentum" => new Sgd(p, new SgdOptions { LearningRate = 0.1, Momentum = 0.9 }),
            "nesterov" => new Sgd(p, new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true }),
            "adam" => new Adam(p, new AdamOptions()),
            _ => new RmsProp(p, new RmsPropOptions()),
        };
        Assert.That(new FirstOrderStep(model, new SoftmaxCrossEntropy(), optimizer).OptimizerName, Is.EqualTo(expected));
    }
}

using Kfac.Data;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Serialization;
using Kfac.Tensors;
using Kfac.Training;
using NUnit.Framework;

namespace Kfac.Tests.Training;

public class TrainingTests
{
    private static (Tensor X, int[] Labels) Data(int m, int seed)
    {
        var rng = new System.Random(seed);
        var x = Tensor.RandN(new Shape(m, 4), rng);
        var v = x.ToArray<float>();
        var labels = Enumerable.Range(0, m).Select(i => v[i * 4] + v[i * 4 + 1] > 0 ? 1 : 0).ToArray();
        return (x, labels);
    }

    [Test]
    public void TrainerWritesTheLogFieldsAndRespectsAStepBudget()
    {
        var (x, labels) = Data(64, 1);
        var model = Mlp.Create([4, 8, 2], seed: 1);
        var step = new FirstOrderStep(model, new SoftmaxCrossEntropy(), new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.1 }), "sgd");
        using var loader = new DataLoader(x, labels, batchSize: 16, seed: 3);
        var path = Path.Combine(Path.GetTempPath(), $"kfac-trainer-{Guid.NewGuid():N}.jsonl");
        try
        {
            Trainer.Summary summary;
            using (var log = MetricsLog.Open(path, append: false))
            {
                var trainer = new Trainer(step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), new TrainingBudget { Steps = 10 })
                {
                    Log = log,
                    LogEverySeconds = 1e9,
                    Evaluate = () => new Dictionary<string, double> { ["test_accuracy"] = 0.5 },
                };
                summary = trainer.Run();
            }
            Assert.That(summary.Steps, Is.EqualTo(10));
            Assert.That(summary.Epochs, Is.EqualTo(2), "4 batches per epoch: 10 steps complete 2 epochs");
            var records = MetricsLog.ReadAll(path);
            Assert.That(records, Has.Count.EqualTo(1), "one record at the end");
            var r = records[0];
            foreach (var key in new[] { "optimizer", "step", "epoch", "seconds", "train_loss", "test_accuracy" })
                Assert.That(r.ContainsKey(key), Is.True, key);
            Assert.That(r["optimizer"].ToString(), Does.Contain("sgd"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void TrainingStepsSkipNonFiniteLossesWithoutTouchingWeights()
    {
        var model = Mlp.Create([4, 3, 2], seed: 2);
        var step = new FirstOrderStep(model, new SoftmaxCrossEntropy(), new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.1 }), "sgd");
        var before = model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        var x = Tensor.Full(new Shape(2, 4), float.NaN);
        double loss;
        using (TensorScope.Begin()) loss = step.Step(x, SoftmaxOps.OneHot([0, 1], 2));
        Assert.That(double.IsNaN(loss), Is.True);
        Assert.That(step.SkippedSteps, Is.EqualTo(1));
        var after = model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.That(after[i], Is.EqualTo(before[i]));
    }

    [TestCase("momentum")]
    [TestCase("kfac")]
    public void CheckpointRoundTripRestoresModelAndOptimizerExactly(string optimizer)
    {
        var (x, labels) = Data(32, 4);
        var t = SoftmaxOps.OneHot(labels, 2);
        ITrainingStep Make(Sequential m) => optimizer == "kfac"
            ? new KfacStep(m, new KfacOptimizer(m.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1 }))
            : new FirstOrderStep(m, new SoftmaxCrossEntropy(), new Sgd(m.Parameters(), new SgdOptions { LearningRate = 0.05, Momentum = 0.9 }), "momentum");
        var a = Mlp.Create([4, 6, 2], seed: 5);
        var stepA = Make(a);
        for (int i = 0; i < 3; i++) using (TensorScope.Begin()) stepA.Step(x, t);

        var path = Path.Combine(Path.GetTempPath(), $"kfac-ckpt-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var state = stepA is KfacStep ka ? ka.Optimizer.ExportState() : ((FirstOrderStep)stepA).Optimizer.ExportState())
                Checkpoint.Save(path, a, state, new Dictionary<string, string> { ["step"] = "3" });

            var b = Mlp.Create([4, 6, 2], seed: 99);
            var stepB = Make(b);
            using (var contents = Checkpoint.Load(path))
            {
                Assert.That(contents.Metadata["step"], Is.EqualTo("3"));
                b.LoadStateDict(contents.Model);
                if (stepB is KfacStep kb) kb.Optimizer.ImportState(contents.Optimizer);
                else ((FirstOrderStep)stepB).Optimizer.ImportState(contents.Optimizer);
            }
            foreach (var (pa, pb) in a.Parameters().Zip(b.Parameters())) Assert.That(pb.ToArray<float>(), Is.EqualTo(pa.ToArray<float>()));
            for (int i = 0; i < 3; i++)
            {
                double la, lb;
                using (TensorScope.Begin()) la = stepA.Step(x, t);
                using (TensorScope.Begin()) lb = stepB.Step(x, t);
                Assert.That(lb, Is.EqualTo(la), $"step {i} after resume");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void LoadingACheckpointIntoAMismatchedModelNamesTheTensorAndBothShapes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kfac-ckpt-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(path, Mlp.Create([4, 6, 2]), optimizer: null);
            using var contents = Checkpoint.Load(path);
            var other = Mlp.Create([4, 5, 2]);
            var e = Assert.Throws<StateDictMismatchException>(() => other.LoadStateDict(contents.Model));
            Assert.That(e!.Message, Does.Contain("'0.weight'").And.Contain("[6, 4]").And.Contain("[5, 4]"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void DeepAutoencoderHasThePapersShape()
    {
        var net = DeepAutoencoder.Create();
        var dense = net.Modules().OfType<Dense>().Select(d => (d.InFeatures, d.OutFeatures)).ToArray();
        Assert.That(dense, Is.EqualTo(new[] { (784, 1000), (1000, 500), (500, 250), (250, 30), (30, 250), (250, 500), (500, 1000), (1000, 784) }));
        Assert.That(net.Layers.Count(l => l is Sigmoid), Is.EqualTo(6), "logistic everywhere but the code layer and the output");
        Assert.That(net.Layers[7], Is.InstanceOf<Dense>(), "the code layer (250 -> 30) is linear");
        Assert.That(net.ParameterCount(), Is.EqualTo(2 * (784 * 1000 + 1000 * 500 + 500 * 250 + 250 * 30) + 1000 + 500 + 250 + 30 + 250 + 500 + 1000 + 784));
    }
}

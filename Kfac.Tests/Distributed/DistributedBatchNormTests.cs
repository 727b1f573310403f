using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training.Distributed;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>
/// Batch norm under data parallelism (ranks as threads): each rank normalises with its own shard's statistics (PyTorch
/// DDP without SyncBatchNorm) and the running statistics are averaged over the ranks after every step, so the replicas
/// stay bit-identical. The oracle for the average: with batch norm first, on the raw inputs, a step's only graph-recording
/// training pass over rank r's shard X_r moves running_mean from 0 to m mean(X_r) and running_var from 1 to
/// (1 - m) + m var_unbiased(X_r); the ranks then hold the mean of those over r, computed here in double from the batch.
/// </summary>
[NonParallelizable]
public class DistributedBatchNormTests
{
    private const int Features = 5, Classes = 3, Batch = 24, Steps = 8;
    private const double Momentum = 0.25;

    private static Sequential NewModel() => new(
        new BatchNorm(Features, momentum: Momentum),
        new Dense(Features, 7, rng: new Random(3)),
        Activations.Create(Activation.Tanh),
        new Dense(7, Classes, rng: new Random(4)));

    /// <summary>Batch k: rank-dependent shards differ in mean and scale, so unsynchronised statistics would differ.</summary>
    private static (Tensor X, Tensor T) BatchFor(int k)
    {
        var rng = new Random(100 + k);
        var x = new float[Batch * Features];
        for (int i = 0; i < Batch; i++)
            for (int j = 0; j < Features; j++)
                x[i * Features + j] = (float)((i < Batch / 2 ? 1.0 : 3.0) * (rng.NextDouble() * 2 - 1) + (i < Batch / 2 ? -1 : 2) + 0.3 * j);
        var labels = Enumerable.Range(0, Batch).Select(_ => rng.Next(Classes)).ToArray();
        return (Tensor.FromArray(x, new Shape(Batch, Features)), global::Kfac.Ops.SoftmaxOps.OneHot(labels, Classes));
    }

    /// <summary>After one step from running statistics (0, 1): the mean over the equal shards of m mean(X_r) and of
    /// (1 - m) + m var_unbiased(X_r), feature by feature.</summary>
    private static (double[] Mean, double[] Var) ExpectedAfterOneStep(Tensor x, int ranks)
    {
        var data = x.ToArray<float>();
        int rows = Batch / ranks;
        var mean = new double[Features];
        var variance = new double[Features];
        for (int r = 0; r < ranks; r++)
            for (int j = 0; j < Features; j++)
            {
                double s = 0, ss = 0;
                for (int i = r * rows; i < (r + 1) * rows; i++) s += data[i * Features + j];
                double mu = s / rows;
                for (int i = r * rows; i < (r + 1) * rows; i++) ss += Math.Pow(data[i * Features + j] - mu, 2);
                mean[j] += Momentum * mu / ranks;
                variance[j] += ((1 - Momentum) + Momentum * ss / (rows - 1)) / ranks;
            }
        return (mean, variance);
    }

    private sealed record RankResult(float[][] Parameters, float[][] Buffers, double[] FirstMean, double[] FirstVar, bool[] Rejected);

    private static RankResult Train(ICommunicator c, Func<Module, ICommunicator, ITrainingStepLike> makeStep)
    {
        var model = NewModel();
        model.Train();
        var bn = (BatchNorm)model.Layers[0];
        var step = makeStep(model, c);
        double[] firstMean = [], firstVar = [];
        var rejected = new bool[Steps];
        for (int k = 0; k < Steps; k++)
        {
            using var scope = TensorScope.Begin();
            var (x, t) = BatchFor(k);
            rejected[k] = double.IsNaN(step.Step(x, t));
            if (k == 0)
            {
                firstMean = bn.RunningMean.ToArray<float>().Select(v => (double)v).ToArray();
                firstVar = bn.RunningVar.ToArray<float>().Select(v => (double)v).ToArray();
            }
        }
        return new RankResult(model.Parameters().Select(p => p.ToArray<float>()).ToArray(),
            model.NamedBuffers().Select(b => b.Buffer.ToArray<float>()).ToArray(), firstMean, firstVar, rejected);
    }

    /// <summary>The two steps under test behind one call.</summary>
    private interface ITrainingStepLike
    {
        double Step(Tensor x, Tensor t);
    }

    private sealed class Adapter(Func<Tensor, Tensor, double> step) : ITrainingStepLike
    {
        public double Step(Tensor x, Tensor t) => step(x, t);
    }

    private static ITrainingStepLike KfacStep(Module model, ICommunicator c)
    {
        var kfac = new KfacOptimizer(model.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1, InverseInterval = 2 });
        var step = new DistributedKfacStep(model, kfac, c);
        return new Adapter(step.Step);
    }

    private static ITrainingStepLike Sgd(Module model, ICommunicator c)
    {
        var sgd = new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.05, Momentum = 0.9 });
        var step = new DataParallelStep(model, new SoftmaxCrossEntropy(), sgd, "momentum", c);
        return new Adapter(step.Step);
    }

    [TestCase(2)]
    [TestCase(3)]
    public void DistributedKfacAveragesTheRunningStatisticsAndKeepsTheReplicasIdentical(int ranks)
    {
        var results = new ThreadedCommunicator.Group(ranks).Run(c => Train(c, KfacStep));
        var (mean, variance) = ExpectedAfterOneStep(BatchFor(0).X, ranks);
        foreach (var r in results)
        {
            Assert.That(r.FirstMean, Is.EqualTo(mean).Within(1e-5), "running mean after step 1: the ranks' shard means, averaged");
            Assert.That(r.FirstVar, Is.EqualTo(variance).Within(1e-5), "running variance after step 1: the ranks' unbiased shard variances, averaged");
            for (int i = 0; i < r.Parameters.Length; i++)
                Assert.That(r.Parameters[i], Is.EqualTo(results[0].Parameters[i]), $"parameter {i} differs between ranks");
            for (int i = 0; i < r.Buffers.Length; i++)
                Assert.That(r.Buffers[i], Is.EqualTo(results[0].Buffers[i]), $"buffer {i} differs between ranks");
        }
        Assert.That(results[0].Parameters.SelectMany(p => p).All(float.IsFinite), Is.True);
        Assert.That(results[0].Rejected.Count(b => !b), Is.GreaterThan(Steps / 2), "most steps are accepted");
    }

    [Test]
    public void DataParallelSgdAveragesTheRunningStatisticsAndKeepsTheReplicasIdentical()
    {
        var results = new ThreadedCommunicator.Group(2).Run(c => Train(c, Sgd));
        var (mean, variance) = ExpectedAfterOneStep(BatchFor(0).X, 2);
        foreach (var r in results)
        {
            Assert.That(r.FirstMean, Is.EqualTo(mean).Within(1e-5));
            Assert.That(r.FirstVar, Is.EqualTo(variance).Within(1e-5));
            for (int i = 0; i < r.Buffers.Length; i++) Assert.That(r.Buffers[i], Is.EqualTo(results[0].Buffers[i]));
            for (int i = 0; i < r.Parameters.Length; i++) Assert.That(r.Parameters[i], Is.EqualTo(results[0].Parameters[i]));
        }
    }

    /// <summary>A skipped step (non-finite loss on one rank's shard) still moved the other rank's running statistics
    /// by its shard; they are averaged all the same, so the replicas' buffers stay identical.</summary>
    [Test]
    public void ASkippedDataParallelStepStillAveragesTheRunningStatistics()
    {
        var results = new ThreadedCommunicator.Group(2).Run(c =>
        {
            var model = NewModel();
            model.Train();
            var step = new DataParallelStep(model, new SoftmaxCrossEntropy(), new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.05 }), "sgd", c);
            using var scope = TensorScope.Begin();
            var (x, t) = BatchFor(0);
            var xs = x.ToArray<float>();
            xs[^1] = float.NaN; // the last row belongs to the last rank
            double loss = step.Step(Tensor.FromArray(xs, x.Shape), t);
            return (Skipped: double.IsNaN(loss), Buffers: model.NamedBuffers().Select(b => b.Buffer.ToArray<float>()).ToArray());
        });
        Assert.That(results.All(r => r.Skipped), Is.True, "the step is skipped on every rank");
        for (int i = 0; i < results[0].Buffers.Length; i++)
            Assert.That(results[1].Buffers[i], Is.EqualTo(results[0].Buffers[i]).AsCollection, $"buffer {i} differs between ranks after the skip");
    }
}

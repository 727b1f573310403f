using Kfac.Losses;
using Kfac.Optim;
using Kfac.Tensors;
using Kfac.Tests.Mpi;
using Kfac.Training.Distributed;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>
/// Batch norm under data parallelism with ranks as threads (<see cref="BatchNormCheck"/>, which
/// <see cref="MpiRunTests"/> also runs under mpirun): bit-identical parameters and buffers after every step, and the
/// running statistics after the first step equal to the shards' means and unbiased variances averaged over the ranks,
/// computed in double from the batch (float32 buffers: 1e-5).
/// </summary>
[NonParallelizable]
public class DistributedBatchNormTests
{
    private const int Steps = 8;

    [TestCase("kfac", 2)]
    [TestCase("kfac", 3)]
    [TestCase("momentum", 2)]
    public void RunningStatisticsAreAveragedAndTheReplicasStayIdentical(string optimizer, int ranks)
    {
        var results = new ThreadedCommunicator.Group(ranks).Run(c => BatchNormCheck.Measure(c, optimizer, Steps));
        foreach (var r in results)
        {
            Assert.That(r.Identical, Is.True, "the ranks' parameters or buffers differ in some bit after some step");
            Assert.That(r.FirstMeanError, Is.LessThanOrEqualTo(1e-5), "running mean after step 1: the ranks' shard means, averaged");
            Assert.That(r.FirstVarError, Is.LessThanOrEqualTo(1e-5), "running variance after step 1: the ranks' unbiased shard variances, averaged");
            Assert.That(r.Finite, Is.True);
            Assert.That(r.Accepted, Is.GreaterThan(Steps / 2), "most steps are accepted");
        }
    }

    /// <summary>A skipped step (non-finite loss on one rank's shard) still moved the other rank's running statistics
    /// by its shard; they are averaged all the same, so the replicas' buffers stay identical.</summary>
    [Test]
    public void ASkippedDataParallelStepStillAveragesTheRunningStatistics()
    {
        var results = new ThreadedCommunicator.Group(2).Run(c =>
        {
            var model = BatchNormCheck.NewModel();
            model.Train();
            var step = new DataParallelStep(model, new SoftmaxCrossEntropy(), new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.05 }), "sgd", c);
            using var scope = TensorScope.Begin();
            var (x, t) = BatchNormCheck.BatchFor(0);
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

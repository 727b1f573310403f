using Kfac.Distributed;
using Kfac.Tests.Mpi;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>
/// Distributed K-FAC with ranks as threads (<see cref="ThreadedCommunicator"/>); <see cref="MpiRunTests"/> runs the same
/// checks in separate processes under mpirun. 25 steps of K-FAC with all its adaptation (lambda every step, gamma
/// search every 6, inverses every 3, sampled statistics every step, momentum) on shards, against one optimizer on the
/// whole batch.
/// <para>Tolerance: the weights are float32 (|w| up to ~3); the ranks' losses, gradients and factors are sums of the
/// shards' float32 partial means, so they differ from the single process's by rounding (~1e-7 relative), which K-FAC's
/// data-dependent steps (inverses, the 2x2 solve) could amplify over 25 steps (measured: 1.2e-7). We require max |w_dist - w_single| &lt;= 1e-5
/// and losses within 1e-6, and lambda within 1e-4 in log: far below the effect of any real error (the mutation test
/// below moves the weights by more than 1e-2).</para>
/// </summary>
[NonParallelizable]
public class DistributedKfacTests
{
    private const double WeightTolerance = 1e-5, LossTolerance = 1e-6;

    [TestCase(2, 64, "eager", "inverses")]
    [TestCase(3, 60, "eager", "inverses")]
    [TestCase(2, 64, "lazy", "inverses")]
    [TestCase(2, 64, "eager", "directions")]
    [TestCase(3, 60, "lazy", "directions")]
    [TestCase(2, 64, "eager", "replicated")]
    public void StepsMatchOneProcessOnTheWholeBatch(int ranks, int batch, string statistics, string inverses)
    {
        var options = new WorkerOptions { Command = "kfac", Steps = 25, BatchSize = batch, Statistics = statistics, Inverses = inverses };
        var results = new ThreadedCommunicator.Group(ranks).Run(c => DistributedKfacCheck.Measure(c, options));
        foreach (var r in results)
        {
            Assert.That(r.Identical, Is.True, "the ranks' weights differ in some bit after some step");
            Assert.That(r.DecisionsIdentical, Is.True, "the ranks took different loss, lambda, gamma, alpha, mu or rho");
            Assert.That(r.MaxWeightDiff, Is.LessThanOrEqualTo(WeightTolerance));
            Assert.That(r.MaxAbsWeight, Is.InRange(0.1, 10));
            Assert.That(r.MaxLossDiff, Is.LessThanOrEqualTo(LossTolerance));
            Assert.That(r.MaxLambdaRatio, Is.LessThanOrEqualTo(1e-4));
            Assert.That(DistributedKfacCheck.RefreshesAsAssigned(r, ranks, inverses), Is.True,
                $"refresh counts per rank and block {string.Join(",", r.RefreshCounts)}, reference {string.Join(",", r.ReferenceRefreshCounts)}, owners {string.Join(",", r.Owners)}");
        }
        TestContext.Out.WriteLine($"ranks {ranks} {statistics} {inverses}: max weight diff {results[0].MaxWeightDiff:E3}, loss diff {results[0].MaxLossDiff:E3}, rejections {results[0].Rejections}, gamma changes {results[0].GammaChanges}, owners {string.Join(",", results[0].Owners)}");
    }

    /// <summary>Asynchronous inverses on 2 and 3 ranks (S = 2 and 3 with T3 = 4): the same update as one process with
    /// the same staleness on the whole batch, bit-identical ranks, and the inverses in use never older than
    /// T3 - 1 + S steps (the synchronous schedule's T3 - 1 plus the bound).</summary>
    [TestCase(2, 64, "eager", "inverses", 2)]
    [TestCase(3, 60, "lazy", "directions", 3)]
    [TestCase(2, 64, "lazy", "replicated", 1)]
    public void AsynchronousInversesMatchOneProcessAndRespectTheStalenessBound(int ranks, int batch, string statistics, string inverses, int staleness)
    {
        var options = new WorkerOptions { Command = "kfac", Steps = 25, BatchSize = batch, Statistics = statistics, Inverses = inverses, Staleness = staleness };
        var results = new ThreadedCommunicator.Group(ranks).Run(c => DistributedKfacCheck.Measure(c, options));
        foreach (var r in results)
        {
            Assert.That(r.Identical, Is.True, "the ranks' weights differ in some bit after some step");
            Assert.That(r.DecisionsIdentical, Is.True);
            Assert.That(r.MaxWeightDiff, Is.LessThanOrEqualTo(WeightTolerance));
            Assert.That(r.MaxLossDiff, Is.LessThanOrEqualTo(LossTolerance));
            // Above T3 - 1: some step used inverses older than the synchronous schedule allows (the background refresh
            // was in use); at most T3 - 1 + S. (The gamma search's synchronous refreshes every 6 steps supersede some
            // background ones, so the bound itself need not be reached.)
            Assert.That(r.MaxInverseAge, Is.InRange(4, 4 - 1 + staleness));
        }
    }

    /// <summary>With broadcast preconditioned gradients, rank 0 holds only its own blocks' inverses; its checkpoint must
    /// still resume (the optimizer refreshes the missing inverses before preconditioning; without that the first
    /// step after the import fails for want of an inverse).</summary>
    [Test]
    public void ARankZeroCheckpointWithBroadcastDirectionsResumes()
    {
        var states = new ThreadedCommunicator.Group(2).Run(c =>
        {
            var (model, kfac) = NewClassifier();
            var step = new Kfac.Training.Distributed.DistributedKfacStep(model, kfac, c, new Kfac.Optim.Kfac.DistributedKfacOptions { Inverses = Kfac.Optim.Kfac.InversePlacement.BroadcastDirections });
            var rng = new Random(1);
            for (int k = 0; k < 5; k++)
            {
                using var scope = Kfac.Tensors.TensorScope.Begin();
                var (x, t) = RandomBatch(rng);
                step.Step(x, t);
            }
            Assert.That(kfac.Blocks.Count(b => b.HasInverse), Is.LessThan(kfac.Blocks.Count), "the test needs a rank without some inverse");
            return kfac.ExportState();
        });
        var (resumedModel, resumed) = NewClassifier();
        resumed.ImportState(states[0]);
        var r2 = new Random(2);
        for (int k = 0; k < 2; k++)
        {
            using var scope = Kfac.Tensors.TensorScope.Begin();
            var (x, t) = RandomBatch(r2);
            var result = resumed.Step(resumedModel.Forward, x, t);
            Assert.That(double.IsFinite(result.Loss), Is.True);
        }
        Assert.That(resumed.Blocks.All(b => b.HasInverse), Is.True);
    }

    private static (Kfac.Layers.Module Model, Kfac.Optim.Kfac.KfacOptimizer Kfac) NewClassifier()
    {
        var model = Kfac.Layers.Models.Mlp.Create([6, 12, 8, 3], Kfac.Layers.Activation.Tanh, seed: 2);
        return (model, new Kfac.Optim.Kfac.KfacOptimizer(model.Parameters(), new Kfac.Losses.SoftmaxCrossEntropy(),
            new Kfac.Optim.Kfac.KfacOptions { InitialLambda = 5, InverseInterval = 3 }));
    }

    private static (Kfac.Tensors.Tensor X, Kfac.Tensors.Tensor T) RandomBatch(Random rng) =>
        (Kfac.Tensors.Tensor.RandN(new Kfac.Tensors.Shape(32, 6), rng),
         Kfac.Ops.SoftmaxOps.OneHot(Enumerable.Range(0, 32).Select(_ => rng.Next(3)).ToArray(), 3));

    /// <summary>The schedule really exercises the adaptation: gamma moves and the inverses are divided over the ranks.</summary>
    [Test]
    public void TheCheckExercisesGammaAndDividesTheInverses()
    {
        var options = new WorkerOptions { Command = "kfac", Steps = 25, BatchSize = 64 };
        var r = new ThreadedCommunicator.Group(2).Run(c => DistributedKfacCheck.Measure(c, options))[0];
        Assert.That(r.GammaChanges, Is.GreaterThan(0));
        Assert.That(r.Owners.Distinct().Count(), Is.EqualTo(2), "both ranks own some block");
        Assert.That(r.ReferenceRefreshCounts, Is.All.GreaterThan(8), "25 steps with T3 = 3 and gamma trials refresh at least 9 times");
    }

    /// <summary>The comparison can fail: a communicator that sums the ranks' values twice over (every double and float
    /// all-reduce multiplied by the rank count) breaks the loss, gradient, statistics and model terms.</summary>
    [Test]
    public void TheComparisonDetectsWronglyWeightedReductions()
    {
        var options = new WorkerOptions { Command = "kfac", Steps = 5, BatchSize = 64 };
        var r = new ThreadedCommunicator.Group(2).Run(c => DistributedKfacCheck.Measure(new DoublingCommunicator(c), options))[0];
        Assert.That(Math.Max(r.MaxWeightDiff, r.MaxLossDiff), Is.GreaterThan(1e-2));
    }

    private sealed class DoublingCommunicator(ICommunicator inner) : ICommunicator
    {
        public int Rank => inner.Rank;

        public int Size => inner.Size;

        public string Description => inner.Description;

        public void AllReduce<T>(Span<T> data, ReduceOperation operation) where T : unmanaged
        {
            inner.AllReduce(data, operation);
            if (operation != ReduceOperation.Sum) return;
            if (typeof(T) == typeof(float)) foreach (ref var x in System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(data)) x *= Size;
            if (typeof(T) == typeof(double)) foreach (ref var x in System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(data)) x *= Size;
        }

        public void Broadcast<T>(Span<T> data, int root) where T : unmanaged => inner.Broadcast(data, root);

        public void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged => inner.AllGather(send, receive);

        public void Barrier() => inner.Barrier();

        public void Dispose() => inner.Dispose();
    }
}

/// <summary>Longest-processing-time assignment of the inverses.</summary>
public class InverseAssignmentTests
{
    [Test]
    public void LargestFirstToTheLeastLoadedRank()
    {
        // Costs 8, 7, 6, 5, 4 on 2 ranks: 8 -> 0, 7 -> 1, 6 -> 1 (7 < 8), 5 -> 0 (8 < 13), 4 -> 0 (13 = 13: lowest rank).
        var owners = InverseAssignment.Assign([5, 8, 4, 7, 6], 2);
        Assert.That(owners, Is.EqualTo(new[] { 0, 0, 0, 1, 1 }));
        Assert.That(InverseAssignment.Loads([5, 8, 4, 7, 6], owners, 2), Is.EqualTo(new[] { 17.0, 13.0 }));
    }

    [TestCase(2)]
    [TestCase(3)]
    public void EveryBlockHasExactlyOneOwnerWithinTheLptBound(int ranks)
    {
        var rng = new Random(ranks);
        var costs = Enumerable.Range(0, 11).Select(_ => Math.Pow(rng.Next(10, 800), 3)).ToArray();
        var owners = InverseAssignment.Assign(costs, ranks);
        Assert.That(owners, Is.All.InRange(0, ranks - 1));
        var loads = InverseAssignment.Loads(costs, owners, ranks);
        // Graham's bound: makespan <= (4/3 - 1/(3P)) OPT, and OPT >= max(total / P, largest cost).
        double lower = Math.Max(costs.Sum() / ranks, costs.Max());
        Assert.That(loads.Max(), Is.LessThanOrEqualTo((4.0 / 3 - 1.0 / (3 * ranks)) * lower * (1 + 1e-12)));
    }

    [Test]
    public void BadInputIsRejectedWithItsValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => InverseAssignment.Assign([1, double.NaN], 2));
        Assert.That(e!.Message, Does.Contain("block 1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => InverseAssignment.Assign([1], 0));
    }
}

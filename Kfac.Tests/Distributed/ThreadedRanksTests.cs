using Kfac.Tests.Mpi;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>
/// The multi-rank checks with ranks as threads of this process (<see cref="ThreadedCommunicator"/>), so they run
/// where MPI is not installed; <see cref="MpiRunTests"/> runs the same checks in separate processes under mpirun.
/// </summary>
[NonParallelizable]
public class ThreadedRanksTests
{
    [TestCase(2)]
    [TestCase(3)]
    public void TheContractHoldsForTheTestDouble(int ranks)
    {
        var passed = new ThreadedCommunicator.Group(ranks).Run(CommunicatorContract.RunAll);
        Assert.That(passed, Is.All.EqualTo(CommunicatorContract.Checks.Count));
    }

    /// <summary>The same 25-step comparison as <see cref="MpiRunTests.DataParallelStepsMatchOneProcessOnTheWholeBatch"/>
    /// (tolerance and its reasoning there): max |w_parallel - w_single| &lt;= 2e-6, losses within 1e-6, and the
    /// ranks' weights bit-identical after every step.</summary>
    [TestCase("sgd", 2, 64, 25 << 20)]
    [TestCase("adam", 2, 64, 1000)]
    [TestCase("momentum", 3, 60, 25 << 20)]
    public void DataParallelStepsMatchOneProcessOnTheWholeBatch(string optimizer, int ranks, int batch, int bucketBytes)
    {
        var options = new WorkerOptions { Command = "train", Optimizer = optimizer, Steps = 25, BatchSize = batch, BucketBytes = bucketBytes };
        var results = new ThreadedCommunicator.Group(ranks).Run(c => DataParallelCheck.Measure(c, options));
        foreach (var r in results)
        {
            Assert.That(r.Identical, Is.True, "the ranks' weights differ in some bit after some step");
            Assert.That(r.MaxWeightDiff, Is.LessThanOrEqualTo(2e-6));
            Assert.That(r.MaxAbsWeight, Is.InRange(0.1, 10));
            Assert.That(r.MaxLossDiff, Is.LessThanOrEqualTo(1e-6));
            Assert.That(r.Buckets, bucketBytes < 4096 ? Is.GreaterThan(1) : Is.EqualTo(1));
        }
    }

    /// <summary>The comparison can fail: the classic data-parallel bug, gradients summed over ranks instead of
    /// averaged (here: a communicator that multiplies every float all-reduce by the rank count), doubles the
    /// update and moves the weights far outside the tolerance.</summary>
    [Test]
    public void TheComparisonDetectsSummedInsteadOfAveragedGradients()
    {
        var options = new WorkerOptions { Command = "train", Optimizer = "sgd", Steps = 5, BatchSize = 64 };
        var results = new ThreadedCommunicator.Group(2).Run(c => DataParallelCheck.Measure(new SummingCommunicator(c), options));
        Assert.That(results[0].MaxWeightDiff, Is.GreaterThan(1e-3));
        Assert.That(results[0].Identical, Is.True, "the bug is the same on every rank");
    }

    private sealed class SummingCommunicator(Kfac.Distributed.ICommunicator inner) : Kfac.Distributed.ICommunicator
    {
        public int Rank => inner.Rank;

        public int Size => inner.Size;

        public string Description => inner.Description;

        public void AllReduce<T>(Span<T> data, Kfac.Distributed.ReduceOperation operation) where T : unmanaged
        {
            inner.AllReduce(data, operation);
            if (typeof(T) == typeof(float))
            {
                var f = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(data);
                for (int i = 0; i < f.Length; i++) f[i] *= Size;
            }
        }

        public void Broadcast<T>(Span<T> data, int root) where T : unmanaged => inner.Broadcast(data, root);

        public void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged => inner.AllGather(send, receive);

        public void Barrier() => inner.Barrier();

        public void Dispose() => inner.Dispose();
    }
}

using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Optim;

namespace Kfac.Training.Distributed;

/// <summary>Checkpoints of a data-parallel run: the replicas are identical, so rank 0 alone writes (atomically,
/// through <see cref="Checkpoint.Save"/>: a temporary file renamed over the old one, so a crash mid-write
/// leaves the previous checkpoint), and an all-reduce of the outcome after the write (a barrier) means that no rank goes on (or reads the
/// file) before it is complete. Resuming: every rank loads the same file, so a checkpoint written by N ranks
/// resumes on any number of ranks.</summary>
public static class DistributedCheckpoint
{
    /// <summary>Collective: every rank calls it; only rank 0 exports the optimizer state and writes.</summary>
    public static void Save(ICommunicator communicator, string path, Module model, Func<OptimizerStateDict>? exportOptimizer,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(model);
        Exception? failure = null;
        if (communicator.Rank == 0)
        {
            try
            {
                using var state = exportOptimizer?.Invoke();
                Checkpoint.Save(path, model, state, metadata);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }
        // Every rank learns whether the write succeeded (rank 0's failure must not leave the others waiting or
        // believing the checkpoint exists).
        double failed = communicator.AllReduce(failure is null ? 0 : 1, ReduceOperation.Max);
        if (failure is not null) throw new IOException($"rank 0 could not write the checkpoint '{path}': {failure.Message}", failure);
        if (failed != 0) throw new IOException($"rank 0 could not write the checkpoint '{path}' (see rank 0's error)");
    }
}

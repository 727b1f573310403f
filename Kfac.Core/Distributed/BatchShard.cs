using Kfac.Tensors;

namespace Kfac.Distributed;

/// <summary>
/// Which rows of a mini-batch a rank trains on. Every rank draws the same batch (the loaders share the seed,
/// so they agree on the permutation) and keeps a contiguous, disjoint shard of it; the shards cover the batch
/// exactly once and differ in size by at most one row (the first batch % size ranks get one more).
/// </summary>
public readonly record struct BatchShard(int Start, int Count)
{
    /// <summary>Rank <paramref name="rank"/>'s rows of a batch of <paramref name="batchSize"/> split over
    /// <paramref name="size"/> ranks.</summary>
    public static BatchShard Of(int batchSize, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if ((uint)rank >= (uint)size)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 0 .. {size - 1}");
        if (batchSize < size)
            throw new ArgumentException($"a batch of {batchSize} examples cannot be split over {size} ranks (each needs at least one example); use a batch of at least {size}", nameof(batchSize));
        int quotient = batchSize / size, remainder = batchSize % size;
        return new BatchShard(rank * quotient + Math.Min(rank, remainder), quotient + (rank < remainder ? 1 : 0));
    }

    /// <summary>This shard's share of the batch, Count / batchSize: the weight of its mean loss (and gradient)
    /// in the batch mean, sum over ranks of (n_r / B) mean_r = mean over the batch.</summary>
    public double Weight(int batchSize) => (double)Count / batchSize;

    /// <summary>This rank's shard of a batch given as <paramref name="inputs"/> [B, ...] and <paramref name="targets"/>
    /// [B, ...] (the same B, checked), split over <paramref name="communicator"/>'s ranks.</summary>
    public static BatchShard OfBatch(Tensor inputs, Tensor targets, ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(communicator);
        int batch = inputs.Shape[0];
        if (targets.Shape[0] != batch)
            throw new ArgumentException($"inputs have {batch} examples (shape {inputs.Shape}) but targets have shape {targets.Shape}", nameof(targets));
        return Of(batch, communicator.Rank, communicator.Size);
    }

    /// <summary>Rows [Start, Start + Count) of a contiguous [B, ...] tensor: the tensor itself when the shard is the
    /// whole batch, else a copy in the current scope (so the trainer's scope returns it to the pool).</summary>
    public Tensor Rows(Tensor all)
    {
        ArgumentNullException.ThrowIfNull(all);
        if (Count == all.Shape[0]) return all;
        int rowSize = all.Shape.Product(1, all.Rank);
        var part = Tensor.Empty(all.Shape.With(0, Count), all.DType, all.Device);
        all.Backend.CopyBlock(all, Start * rowSize, Count * rowSize, part, 0, Count * rowSize, 1, Count * rowSize);
        return part;
    }
}

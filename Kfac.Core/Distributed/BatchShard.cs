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
}

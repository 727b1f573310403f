using System.Globalization;

namespace Kfac.Training;

/// <summary>
/// Where a run stands: optimizer steps taken, the epoch in progress and the index of the next batch in it, and
/// the loader's seed and batch size (an epoch's order is a function of (seed, epoch) alone, see DataLoader, so
/// these four numbers place a resumed run on exactly the batch an uninterrupted run would see next).
/// Stored in a checkpoint's run metadata under "step", "epoch", "batch", "loader_seed" and "batch_size".
/// </summary>
public readonly record struct TrainingPosition(long Step, int Epoch, int Batch, long LoaderSeed, int BatchSize)
{
    /// <summary>The metadata keys (a checkpoint written before mid-epoch resume has only step and epoch).</summary>
    public const string StepKey = "step", EpochKey = "epoch", BatchKey = "batch", LoaderSeedKey = "loader_seed", BatchSizeKey = "batch_size";

    /// <summary>The run metadata entries for a checkpoint.</summary>
    public Dictionary<string, string> ToMetadata() => new(StringComparer.Ordinal)
    {
        [StepKey] = Step.ToString(CultureInfo.InvariantCulture),
        [EpochKey] = Epoch.ToString(CultureInfo.InvariantCulture),
        [BatchKey] = Batch.ToString(CultureInfo.InvariantCulture),
        [LoaderSeedKey] = LoaderSeed.ToString(CultureInfo.InvariantCulture),
        [BatchSizeKey] = BatchSize.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads and range-checks the position in <paramref name="metadata"/>: step and epoch required,
    /// non-negative integers (epoch within int); batch, loader_seed and batch_size optional (older checkpoints:
    /// batch 0, seed and size unknown = -1/0). Problems are <see cref="Serialization.CheckpointException"/>s
    /// naming <paramref name="file"/> and the key.</summary>
    public static TrainingPosition FromMetadata(IReadOnlyDictionary<string, string> metadata, string file)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        long step = Count(metadata, StepKey, long.MaxValue, file, required: true, fallback: 0);
        int epoch = (int)Count(metadata, EpochKey, int.MaxValue, file, required: true, fallback: 0);
        int batch = (int)Count(metadata, BatchKey, int.MaxValue, file, required: false, fallback: 0);
        long seed = metadata.TryGetValue(LoaderSeedKey, out var s)
            ? long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v
                : throw new Serialization.CheckpointException(file, $"metadata '{LoaderSeedKey}' is '{s}', expected an integer")
            : -1;
        int batchSize = (int)Count(metadata, BatchSizeKey, int.MaxValue, file, required: false, fallback: 0);
        if (metadata.ContainsKey(BatchSizeKey) && batchSize == 0)
            throw new Serialization.CheckpointException(file, $"metadata '{BatchSizeKey}' is 0, expected a positive batch size");
        return new TrainingPosition(step, epoch, batch, seed, batchSize);
    }

    private static long Count(IReadOnlyDictionary<string, string> metadata, string key, long max, string file, bool required, long fallback)
    {
        if (!metadata.TryGetValue(key, out var text))
            return required ? throw new Serialization.CheckpointException(file, $"run metadata '{key}' is missing") : fallback;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value > max)
            throw new Serialization.CheckpointException(file, $"run metadata '{key}' is '{text}', expected an integer from 0 to {max}");
        return value;
    }
}

using Kfac.Layers;
using Kfac.Optim;
using Kfac.Serialization;
using Kfac.Tensors;

namespace Kfac.Training;

public static partial class Checkpoint
{
    /// <summary>
    /// Resumes from <paramref name="path"/>: validates the whole file first, then applies it, so that a bad
    /// checkpoint changes nothing. Checked: the file exists and parses (SafeTensors' strict reader); every
    /// tensor, model and optimizer, is finite (a NaN weight would make every later step skip silently); the run
    /// position (step, epoch, batch) is in range; the optimizer that wrote it is <paramref name="expectedOptimizer"/>
    /// (when both are known); the model's keys and shapes match exactly (missing and unknown keys named); the
    /// optimizer's own import validation (values in range, unknown keys) passes. Then the optimizer state is
    /// imported (it validates before it commits) and the weights are copied.
    /// Every problem is a <see cref="CheckpointException"/> naming the file and what is wrong.
    /// </summary>
    /// <param name="path">The checkpoint written by <see cref="Save"/>.</param>
    /// <param name="model">Receives the weights.</param>
    /// <param name="importOptimizer">Imports the optimizer state (e.g. <c>optimizer.ImportState</c>); null to
    /// restore the weights only.</param>
    /// <param name="expectedOptimizer">The run's optimizer name ("adam", "kfac", ...) to compare with the
    /// checkpoint's "optimizer" metadata; null to skip the comparison.</param>
    /// <returns>Where the checkpointed run stood.</returns>
    public static TrainingPosition Restore(string path, Module model, Action<OptimizerStateDict>? importOptimizer, string? expectedOptimizer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        Contents contents;
        try
        {
            contents = Load(path);
        }
        catch (FileNotFoundException)
        {
            throw new CheckpointException(path, "the file does not exist");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, e.Message, e);
        }
        using (contents)
        {
            foreach (var (name, t) in contents.Model) CheckFinite(path, ModelPrefix + name, t);
            foreach (var (name, t) in contents.Optimizer.Tensors) CheckFinite(path, OptimizerPrefix + name, t);
            var position = TrainingPosition.FromMetadata(contents.Metadata, path);
            if (expectedOptimizer is not null && contents.Metadata.TryGetValue("optimizer", out var saved) && saved != expectedOptimizer)
                throw new CheckpointException(path, $"it was written by optimizer '{saved}', this run uses '{expectedOptimizer}'");
            CheckModelKeys(path, model, contents.Model);
            if (importOptimizer is not null)
            {
                if (contents.Optimizer.Tensors.Count == 0 && contents.Optimizer.Metadata.Count == 0)
                    throw new CheckpointException(path, "it holds no optimizer state (no 'optim.*' keys)");
                try
                {
                    importOptimizer(contents.Optimizer);
                }
                catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException)
                {
                    throw new CheckpointException(path, "optimizer state: " + e.Message, e);
                }
            }
            model.LoadStateDict(contents.Model);
            return position;
        }
    }

    /// <summary>Refuses a NaN or infinite element, naming the tensor and the first bad index.</summary>
    private static void CheckFinite(string path, string name, Tensor t)
    {
        long bad = -1;
        double value = 0;
        if (t.DType == DType.Float32)
        {
            var span = t.AsSpan<float>();
            for (int i = 0; i < span.Length; i++)
                if (!float.IsFinite(span[i])) { bad = i; value = span[i]; break; }
        }
        else
        {
            var span = t.AsSpan<double>();
            for (int i = 0; i < span.Length; i++)
                if (!double.IsFinite(span[i])) { bad = i; value = span[i]; break; }
        }
        if (bad >= 0)
            throw new CheckpointException(path, $"tensor '{name}' (shape {t.Shape}) holds {value} at flat index {bad}: every checkpoint tensor must be finite");
    }

    /// <summary>The model's state-dict keys and shapes must equal the checkpoint's (all problems listed).</summary>
    private static void CheckModelKeys(string path, Module model, IReadOnlyDictionary<string, Tensor> saved)
    {
        var expected = model.StateDict();
        var problems = new List<string>();
        foreach (var (name, t) in expected.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!saved.TryGetValue(name, out var s)) problems.Add($"missing '{ModelPrefix}{name}' (shape {t.Shape})");
            else if (s.Shape != t.Shape) problems.Add($"'{ModelPrefix}{name}' has shape {s.Shape}, the model's has {t.Shape}");
        }
        foreach (var name in saved.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal))
            problems.Add($"unknown tensor '{ModelPrefix}{name}'");
        if (problems.Count > 0)
            throw new CheckpointException(path, "does not fit the model: " + string.Join("; ", problems));
    }
}

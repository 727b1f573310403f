using System.Globalization;
using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Optim.Kfac;

/// <summary>
/// Checkpointable state: the factors and cached inverses of every block, lambda, gamma, the previous update
/// (momentum), the rollback copy, the step counter and the sampling stream's offset, so a resumed run
/// continues identically. Keys: "kfac.block.B.NAME" (tensors and scalars), "kfac.previous.I", "kfac.backup.I".
/// </summary>
public sealed partial class KfacOptimizer
{
    /// <summary>The "format" metadata value of K-FAC state dicts; <see cref="ImportState(OptimizerStateDict)"/> rejects any other.</summary>
    public const string StateFormat = "kfac.kfac/1";

    private (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata)? _pendingImport;

    /// <summary>A snapshot of the optimizer's state (owns copies of the tensors).</summary>
    public OptimizerStateDict ExportState()
    {
        using var outside = TensorScope.Suspend();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = StateFormat,
            ["optimizer"] = "kfac",
            ["iteration"] = Iteration.ToString(CultureInfo.InvariantCulture),
            ["lambda"] = Lambda.ToString("R", CultureInfo.InvariantCulture),
            ["gamma"] = Gamma.ToString("R", CultureInfo.InvariantCulture),
            ["rng_offset"] = _rng.Offset.ToString(CultureInfo.InvariantCulture),
            ["rejections"] = Rejections.ToString(CultureInfo.InvariantCulture),
            ["loss_scale"] = _lossScale.ToString("R", CultureInfo.InvariantCulture),
            ["loss_floor"] = _lossFloor.ToString("R", CultureInfo.InvariantCulture),
            ["last_update_undone"] = _lastUpdateUndone ? "true" : "false",
            ["blocks"] = (_blocks?.Count ?? 0).ToString(CultureInfo.InvariantCulture),
            ["options"] = Options.ToString(),
        };
        if (_pendingRho is { } p)
        {
            meta["pending_rho.model_change"] = p.ModelChange.ToString("R", CultureInfo.InvariantCulture);
            meta["pending_rho.norm_before"] = p.SquaredNormBefore.ToString("R", CultureInfo.InvariantCulture);
            meta["pending_rho.norm_after"] = p.SquaredNormAfter.ToString("R", CultureInfo.InvariantCulture);
        }
        for (int i = 0; i < _parameters.Length; i++)
        {
            tensors[$"kfac.previous.{i}"] = _previous[i].Clone();
            tensors[$"kfac.backup.{i}"] = _backup[i].Clone();
        }
        if (_blocks is not null)
            for (int b = 0; b < _blocks.Count; b++)
            {
                meta[$"kfac.block.{b}.kind"] = _blocks[b].Description;
                foreach (var (name, value) in _blocks[b].StateTensors()) tensors[$"kfac.block.{b}.{name}"] = value.Clone();
                foreach (var (name, value) in _blocks[b].StateScalars())
                    meta[$"kfac.block.{b}.{name}"] = value.ToString("R", CultureInfo.InvariantCulture);
            }
        return new OptimizerStateDict(tensors, meta);
    }

    /// <summary>Restores state exported by ExportState (same parameters and block layout): factors, inverses, lambda, gamma, momentum, step counter and sampling offset.</summary>
    public void ImportState(OptimizerStateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ImportState(state.Tensors, state.Metadata);
    }

    /// <summary>Restores exported state. Scalars and per-parameter tensors are checked and applied now; block
    /// state is applied when the blocks exist (at once if they do, else on the first step, after the forward
    /// pass has identified the layers). A mismatch names the key and both shapes.</summary>
    public void ImportState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue("format", out var format) || format != StateFormat)
            throw new ArgumentException($"not a K-FAC state (format '{format}', expected '{StateFormat}')", nameof(metadata));
        for (int i = 0; i < _parameters.Length; i++)
        {
            Check(tensors, $"kfac.previous.{i}", _parameters[i].Shape);
            Check(tensors, $"kfac.backup.{i}", _parameters[i].Shape);
        }
        ValidateImportKeys(tensors, metadata);
        ulong rngOffset = ParseCount<ulong>(metadata, "rng_offset");
        int iteration = ParseCount<int>(metadata, "iteration");
        double lambda = ParsePositive(metadata, "lambda"), gamma = ParsePositive(metadata, "gamma");
        // The loss guard's running scale and the rejection count came later: older checkpoints start them afresh.
        long rejections = metadata.ContainsKey("rejections") ? ParseCount<long>(metadata, "rejections") : 0;
        double lossScale = metadata.ContainsKey("loss_scale") ? ParseDouble(metadata, "loss_scale") : double.NaN;
        double lossFloor = metadata.ContainsKey("loss_floor") ? ParseDouble(metadata, "loss_floor") : double.NaN;
        var pendingRho = metadata.ContainsKey("pending_rho.model_change")
            ? new PendingRho(ParseDouble(metadata, "pending_rho.model_change"), ParseDouble(metadata, "pending_rho.norm_before"), ParseDouble(metadata, "pending_rho.norm_after"))
            : null;

        _rng.Offset = rngOffset;
        Iteration = iteration;
        Lambda = lambda;
        Gamma = gamma;
        Rejections = rejections;
        _lossScale = lossScale;
        _lossFloor = lossFloor;
        _pendingRho = pendingRho;
        _lastUpdateUndone = metadata.TryGetValue("last_update_undone", out var undone) && undone == "true";
        for (int i = 0; i < _parameters.Length; i++)
        {
            CopyInto(tensors[$"kfac.previous.{i}"], _previous[i]);
            CopyInto(tensors[$"kfac.backup.{i}"], _backup[i]);
        }
        using (TensorScope.Suspend())
        {
            _pendingImport = (
                tensors.Where(kv => kv.Key.StartsWith("kfac.block.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value.Clone()),
                metadata.ToDictionary(kv => kv.Key, kv => kv.Value));
        }
        if (_blocks is not null) ApplyPendingImport();
    }

    /// <summary>Copies imported block state into the blocks (called once the blocks exist).</summary>
    private void ApplyPendingImport()
    {
        if (_pendingImport is not { } pending) return;
        _pendingImport = null;
        int count = int.Parse(Required(pending.Metadata, "blocks"), CultureInfo.InvariantCulture);
        // The network's blocks are known only now (after the first forward pass): a state written for another
        // network is a user error, found before any block is touched.
        if (count != _blocks!.Count)
            throw new UserInputException($"the imported K-FAC state (checkpoint) has {count} curvature blocks but the network has {_blocks.Count}: it was written for a different network");
        for (int b = 0; b < _blocks.Count; b++)
        {
            string kind = Required(pending.Metadata, $"kfac.block.{b}.kind");
            if (kind != _blocks[b].Description)
                throw new UserInputException($"the imported K-FAC state (checkpoint) has block {b} = {kind} but the network's is {_blocks[b].Description}: it was written for a different network");
        }
        for (int b = 0; b < _blocks.Count; b++)
        {
            // Every block kind loads its own state through the CurvatureBlock contract (no switch on block types).
            string prefix = $"kfac.block.{b}.";
            _blocks[b].LoadState(
                (name, shape) =>
                {
                    Check(pending.Tensors, prefix + name, shape);
                    return pending.Tensors[prefix + name];
                },
                name => ParseDouble(pending.Metadata, prefix + name));
        }
        foreach (var t in pending.Tensors.Values) t.Dispose();
        // A block with statistics but no inverse (a checkpoint written by rank 0 of a distributed run that broadcast
        // preconditioned gradients, where the other ranks held some blocks' inverses): refresh before preconditioning.
        if (_blocks.Any(b => b.UpdateCount > 0 && !b.HasInverse)) _inversesStale = true;
    }

    /// <summary>Refuses keys this optimizer would not read (e.g. "kfac.block.99" in a 3-block state, a
    /// "kfac.previous.I" beyond the parameter count), so a state written for another network is not half-applied.</summary>
    private void ValidateImportKeys(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        int blocks = ParseCount<int>(metadata, "blocks");
        foreach (var key in tensors.Keys)
            if (!IsKnownIndexedKey(key, blocks, allowPerParameter: true))
                throw new ArgumentException($"K-FAC state has an unexpected tensor '{key}' (this optimizer has {_parameters.Length} parameters; the state declares {blocks} blocks)", nameof(tensors));
        foreach (var key in metadata.Keys)
            if (!KnownMetadataKeys.Contains(key) && !key.StartsWith("pending_rho.", StringComparison.Ordinal) && !IsKnownIndexedKey(key, blocks, allowPerParameter: false))
                throw new ArgumentException($"K-FAC state has an unexpected metadata key '{key}' (the state declares {blocks} blocks)", nameof(metadata));
        for (int b = 0; b < blocks; b++) Required(metadata, $"kfac.block.{b}.kind");
    }

    private static readonly HashSet<string> KnownMetadataKeys = new(StringComparer.Ordinal)
    {
        "format", "optimizer", "iteration", "lambda", "gamma", "rng_offset", "rejections", "loss_scale", "loss_floor", "last_update_undone", "blocks", "options",
    };

    /// <summary>"kfac.block.B.NAME" with B &lt; blocks, or (tensors) "kfac.previous.I"/"kfac.backup.I" with I &lt; parameter count.</summary>
    private bool IsKnownIndexedKey(string key, int blocks, bool allowPerParameter)
    {
        var parts = key.Split('.');
        if (parts.Length < 3 || parts[0] != "kfac" || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int index)) return false;
        return parts[1] switch
        {
            "block" => parts.Length >= 4 && index < blocks,
            "previous" or "backup" => allowPerParameter && parts.Length == 3 && index < _parameters.Length,
            _ => false,
        };
    }

    /// <summary>A non-negative integer counter (iteration, rng offset, rejections, blocks), refused with its key
    /// and text when missing, not an integer, negative or too large.</summary>
    private static T ParseCount<T>(IReadOnlyDictionary<string, string> metadata, string key) where T : struct, System.Numerics.IBinaryInteger<T>
    {
        string text = Required(metadata, key);
        if (!T.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out T value))
            throw new ArgumentException($"K-FAC state metadata '{key}' is '{text}', expected an integer from 0 to {typeof(T).GetField("MaxValue")!.GetValue(null)}", nameof(metadata));
        return value;
    }

    /// <summary>Lambda and gamma: finite and positive (a NaN lambda would reject every step; a zero gamma makes
    /// the damped factors singular).</summary>
    private static double ParsePositive(IReadOnlyDictionary<string, string> metadata, string key)
    {
        string text = Required(metadata, key);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v <= 0)
            throw new ArgumentException($"K-FAC state metadata '{key}' is '{text}', expected a finite number > 0", nameof(metadata));
        return v;
    }

    private static void Check(IReadOnlyDictionary<string, Tensor> tensors, string key, Shape expected)
    {
        if (!tensors.TryGetValue(key, out var t)) throw new ArgumentException($"K-FAC state is missing tensor '{key}'", nameof(tensors));
        if (t.Shape != expected)
            throw new ShapeMismatchException($"K-FAC state tensor '{key}' has shape {t.Shape} but the optimizer's has shape {expected}", nameof(tensors));
    }

    private static void CopyInto(Tensor source, Tensor destination)
    {
        if (source.DType == destination.DType && source.Device == destination.Device) destination.CopyFrom(source);
        else
            using (TensorScope.Begin()) destination.CopyFrom(source.To(destination.DType, destination.Device));
    }

    private static string Required(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var v) ? v : throw new ArgumentException($"K-FAC state is missing metadata '{key}'", nameof(metadata));

    private static double ParseDouble(IReadOnlyDictionary<string, string> metadata, string key)
    {
        string text = Required(metadata, key);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : throw new ArgumentException($"K-FAC state metadata '{key}' is '{text}', expected a number", nameof(metadata));
    }
}

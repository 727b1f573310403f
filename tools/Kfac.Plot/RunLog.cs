using Kfac.Serialization;

namespace Kfac.Plot;

/// <summary>One training run's metrics log (JSON lines: step, seconds and metrics per record) and its label in
/// the legend.</summary>
public sealed class RunLog
{
    /// <summary>A run with records already read.</summary>
    public RunLog(string label, IReadOnlyList<MetricsRecord> records, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        ArgumentNullException.ThrowIfNull(records);
        Label = label;
        Records = records;
        Source = source;
    }

    /// <summary>The legend label.</summary>
    public string Label { get; }

    /// <summary>The log's records in file order.</summary>
    public IReadOnlyList<MetricsRecord> Records { get; }

    /// <summary>Where the records came from (for messages).</summary>
    public string Source { get; }

    /// <summary>Reads a log file. <paramref name="label"/> defaults to the file name without extension. A file
    /// with no record is an error naming the file.</summary>
    public static RunLog Read(string path, string? label = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"metrics log '{path}' does not exist", path);
        var records = MetricsLog.ReadAll(path);
        if (records.Count == 0) throw new InvalidDataException($"metrics log '{path}' has no records");
        return new RunLog(label ?? Path.GetFileNameWithoutExtension(path), records, path);
    }

    /// <summary>Whether some record has a numeric value for <paramref name="key"/>.</summary>
    public bool Has(string key) => Records.Any(r => Number(r, key) is not null);

    /// <summary>The (x, y) points of <paramref name="metric"/> against <paramref name="x"/> ("step" or
    /// "seconds"), skipping records where either is missing or not finite (a diverged loss is logged as null).</summary>
    public (double[] X, double[] Y) Series(string x, string metric)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (var r in Records)
        {
            if (Number(r, x) is not { } a || Number(r, metric) is not { } b) continue;
            if (!double.IsFinite(a) || !double.IsFinite(b)) continue;
            xs.Add(a);
            ys.Add(b);
        }
        return (xs.ToArray(), ys.ToArray());
    }

    private static double? Number(MetricsRecord r, string key) =>
        r.TryGetValue(key, out var v) && v.Kind is MetricKind.Integer or MetricKind.Float32 or MetricKind.Float64 ? v.AsDouble() : null;
}

using System.Globalization;

namespace Kfac.Bench;

/// <summary>Minimal `--name value` / `--flag` parser shared by the bench commands.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public BenchArgs(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"unexpected argument '{args[i]}' (options are --name value)");
            string name = args[i][2..];
            string? value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            _values[name] = value;
        }
    }

    public bool Flag(string name) => _values.ContainsKey(name);

    public string? String(string name, string? fallback = null) => _values.TryGetValue(name, out var v) ? v : fallback;

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var v) && v is not null
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) ? r
                : throw new ArgumentException($"--{name} expects an integer, got '{v}'")
            : fallback;

    public double Double(string name, double fallback) =>
        _values.TryGetValue(name, out var v) && v is not null
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) ? r
                : throw new ArgumentException($"--{name} expects a number, got '{v}'")
            : fallback;

    public int[] IntList(string name, int[] fallback) =>
        _values.TryGetValue(name, out var v) && v is not null
            ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) ? r
                    : throw new ArgumentException($"--{name} expects a comma-separated list of integers, got '{v}'"))
                .ToArray()
            : fallback;
}

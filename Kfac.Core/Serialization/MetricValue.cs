using System.Globalization;

namespace Kfac.Serialization;

public enum MetricKind
{
    Null,
    Integer,
    Float32,
    Float64,
    String,
    Boolean,
}

/// <summary>One value in a metrics record: a number, a string, a bool, or null. Converts implicitly from
/// int, long, float, double, string and bool, so records read as <c>("loss", 0.25)</c>.</summary>
public readonly struct MetricValue : IEquatable<MetricValue>
{
    private readonly double _number;
    private readonly long _integer;
    private readonly string? _text;

    private MetricValue(MetricKind kind, double number = 0, long integer = 0, string? text = null)
    {
        Kind = kind;
        _number = number;
        _integer = integer;
        _text = text;
    }

    public static MetricValue Null => default;

    public MetricKind Kind { get; }

    public bool IsNull => Kind == MetricKind.Null;

    public static implicit operator MetricValue(int value) => new(MetricKind.Integer, integer: value);

    public static implicit operator MetricValue(long value) => new(MetricKind.Integer, integer: value);

    /// <summary>Floats keep their kind so the log shows their shortest float form (0.1f as 0.1, not 0.10000000149011612).</summary>
    public static implicit operator MetricValue(float value) => new(MetricKind.Float32, number: value);

    public static implicit operator MetricValue(double value) => new(MetricKind.Float64, number: value);

    public static implicit operator MetricValue(bool value) => new(MetricKind.Boolean, integer: value ? 1 : 0);

    public static implicit operator MetricValue(string? value) => value is null ? Null : new(MetricKind.String, text: value);

    /// <summary>The value as a double: numbers as they are, booleans as 0/1, null as NaN (NaN and infinities
    /// are logged as null, so this is how they read back). Strings throw.</summary>
    public double AsDouble() => Kind switch
    {
        MetricKind.Null => double.NaN,
        MetricKind.Integer or MetricKind.Boolean => _integer,
        MetricKind.Float32 or MetricKind.Float64 => _number,
        _ => throw new InvalidOperationException($"metric value {this} is a string, not a number"),
    };

    public long AsInteger() => Kind == MetricKind.Integer ? _integer
        : throw new InvalidOperationException($"metric value {this} is {Kind}, not an integer");

    public string AsString() => _text ?? throw new InvalidOperationException($"metric value {this} is {Kind}, not a string");

    public bool AsBoolean() => Kind == MetricKind.Boolean ? _integer != 0
        : throw new InvalidOperationException($"metric value {this} is {Kind}, not a bool");

    public bool Equals(MetricValue other) => Kind == other.Kind && _integer == other._integer && _number.Equals(other._number) && _text == other._text;

    public override bool Equals(object? obj) => obj is MetricValue v && Equals(v);

    public override int GetHashCode() => HashCode.Combine(Kind, _integer, _number, _text);

    public static bool operator ==(MetricValue a, MetricValue b) => a.Equals(b);

    public static bool operator !=(MetricValue a, MetricValue b) => !a.Equals(b);

    public override string ToString() => Kind switch
    {
        MetricKind.Null => "null",
        MetricKind.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        MetricKind.Float32 => ((float)_number).ToString("R", CultureInfo.InvariantCulture),
        MetricKind.Float64 => _number.ToString("R", CultureInfo.InvariantCulture),
        MetricKind.Boolean => _integer != 0 ? "true" : "false",
        _ => _text!,
    };
}

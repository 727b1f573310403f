using System.Globalization;

namespace Kfac.Serialization;

/// <summary>What a <see cref="MetricValue"/> holds.</summary>
public enum MetricKind
{
    /// <summary>JSON null (also NaN and infinities, which JSON cannot hold).</summary>
    Null,
    /// <summary>A 64-bit integer.</summary>
    Integer,
    /// <summary>A float, logged in its shortest float form.</summary>
    Float32,
    /// <summary>A double.</summary>
    Float64,
    /// <summary>A string.</summary>
    String,
    /// <summary>A bool.</summary>
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

    /// <summary>The null value.</summary>
    public static MetricValue Null => default;

    /// <summary>What the value holds.</summary>
    public MetricKind Kind { get; }

    /// <summary>True for null.</summary>
    public bool IsNull => Kind == MetricKind.Null;

    /// <summary>An integer value.</summary>
    public static implicit operator MetricValue(int value) => new(MetricKind.Integer, integer: value);

    /// <summary>An integer value.</summary>
    public static implicit operator MetricValue(long value) => new(MetricKind.Integer, integer: value);

    /// <summary>Floats keep their kind so the log shows their shortest float form (0.1f as 0.1, not 0.10000000149011612).</summary>
    public static implicit operator MetricValue(float value) => new(MetricKind.Float32, number: value);

    /// <summary>A double value.</summary>
    public static implicit operator MetricValue(double value) => new(MetricKind.Float64, number: value);

    /// <summary>A bool value.</summary>
    public static implicit operator MetricValue(bool value) => new(MetricKind.Boolean, integer: value ? 1 : 0);

    /// <summary>A string value (null gives <see cref="Null"/>).</summary>
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

    /// <summary>The integer held; throws for other kinds.</summary>
    public long AsInteger() => Kind == MetricKind.Integer ? _integer
        : throw new InvalidOperationException($"metric value {this} is {Kind}, not an integer");

    /// <summary>The string held; throws for other kinds.</summary>
    public string AsString() => _text ?? throw new InvalidOperationException($"metric value {this} is {Kind}, not a string");

    /// <summary>The bool held; throws for other kinds.</summary>
    public bool AsBoolean() => Kind == MetricKind.Boolean ? _integer != 0
        : throw new InvalidOperationException($"metric value {this} is {Kind}, not a bool");

    /// <summary>Same kind and same value.</summary>
    public bool Equals(MetricValue other) => Kind == other.Kind && _integer == other._integer && _number.Equals(other._number) && _text == other._text;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MetricValue v && Equals(v);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, _integer, _number, _text);

    /// <summary>Same kind and same value.</summary>
    public static bool operator ==(MetricValue a, MetricValue b) => a.Equals(b);

    /// <summary>Different kind or value.</summary>
    public static bool operator !=(MetricValue a, MetricValue b) => !a.Equals(b);

    /// <inheritdoc/>
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

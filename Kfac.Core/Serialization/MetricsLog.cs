using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kfac.Serialization;

/// <summary>
/// A training log in JSON Lines: one JSON object per line, e.g.
/// <c>{"epoch":3,"step":1200,"loss":0.3512086272239685,"optimizer":"kfac","diverged":false}</c>.
/// <para>Each line is flushed as it is written, so <c>tail -f</c> shows progress and a crash loses at most
/// the line being written. Keys keep their insertion order. Doubles are written with round-trip precision
/// (shortest text that parses back to the same double; floats likewise as floats). JSON has no NaN or
/// infinity: those are written as <c>null</c> (a diverged loss shows as null), and read back as
/// <see cref="MetricValue.Null"/>, whose <see cref="MetricValue.AsDouble"/> is NaN.</para>
/// <para>The log is appended to in place rather than through <see cref="AtomicFile"/>: each line is a
/// small append, and the readers above expect to see it grow.</para>
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly FileStream _stream;
    private readonly Utf8JsonWriter _json;
    private readonly Lock _gate = new();

    private MetricsLog(string path, bool append)
    {
        Path = path;
        // FileShare.Read: tail, a plotting script or ReadAll may read while training writes.
        _stream = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        _json = new Utf8JsonWriter(_stream, WriterOptions);
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating if needed) a log at <paramref name="path"/>; appends to an existing one, or
    /// truncates it when <paramref name="append"/> is false.</summary>
    public static MetricsLog Open(string path, bool append = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new MetricsLog(path, append);
    }

    /// <summary>Writes one line: <c>log.Write(("epoch", 1), ("loss", 0.25), ("phase", "train"))</c>.</summary>
    public void Write(params ReadOnlySpan<(string Key, MetricValue Value)> fields)
    {
        var record = new MetricsRecord();
        foreach (var (key, value) in fields) record.Add(key, value);
        Write(record);
    }

    /// <summary>Writes one record as one line and flushes it to the file.</summary>
    public void Write(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(!_stream.CanWrite, this);
            _json.Reset();
            _json.WriteStartObject();
            foreach (var (key, value) in record)
            {
                _json.WritePropertyName(key);
                WriteValue(_json, value);
            }
            _json.WriteEndObject();
            _json.Flush();
            _stream.WriteByte((byte)'\n');
            _stream.Flush();
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _json.Dispose();
            _stream.Dispose();
        }
    }

    /// <summary>
    /// Reads every record of a JSON Lines file, keys in file order. Integral numbers read as
    /// <see cref="MetricKind.Integer"/>, other numbers as <see cref="MetricKind.Float64"/>. Blank lines are
    /// skipped; a last line without its newline that is not valid JSON (a write in progress, or a crash
    /// mid-line) is ignored; any other malformed line raises <see cref="InvalidDataException"/> with its number.
    /// </summary>
    public static List<MetricsRecord> ReadAll(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var reader = new StreamReader(stream))
            text = reader.ReadToEnd();

        var records = new List<MetricsRecord>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line)) continue;
            bool unterminated = i == lines.Length - 1;
            try
            {
                records.Add(ParseLine(line));
            }
            catch (JsonException) when (unterminated)
            {
                // The writer had not finished this line.
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"metrics log '{path}' line {i + 1} is not a JSON object: {e.Message}", e);
            }
        }
        return records;
    }

    private static MetricsRecord ParseLine(string line)
    {
        using var document = JsonDocument.Parse(line);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new JsonException($"found a JSON {document.RootElement.ValueKind}");
        var record = new MetricsRecord();
        foreach (var property in document.RootElement.EnumerateObject())
            record[property.Name] = ReadValue(property.Value);
        return record;
    }

    private static void WriteValue(Utf8JsonWriter json, MetricValue value)
    {
        switch (value.Kind)
        {
            case MetricKind.Integer:
                json.WriteNumberValue(value.AsInteger());
                break;
            case MetricKind.Float32 when float.IsFinite((float)value.AsDouble()):
                json.WriteNumberValue((float)value.AsDouble());
                break;
            case MetricKind.Float64 when double.IsFinite(value.AsDouble()):
                json.WriteNumberValue(value.AsDouble());
                break;
            case MetricKind.String:
                json.WriteStringValue(value.AsString());
                break;
            case MetricKind.Boolean:
                json.WriteBooleanValue(value.AsBoolean());
                break;
            default: // null, NaN, +-Infinity
                json.WriteNullValue();
                break;
        }
    }

    private static MetricValue ReadValue(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                string raw = element.GetRawText();
                bool integral = raw.AsSpan().IndexOfAny(".eE") < 0 && raw != "-0";
                // Explicit MetricValue casts: a bare "? n : d" would widen the long to double.
                return integral && element.TryGetInt64(out long n) ? (MetricValue)n : (MetricValue)element.GetDouble();
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Null:
                return MetricValue.Null;
            default:
                throw new JsonException($"value {element.GetRawText()} is a JSON {element.ValueKind}; metrics hold numbers, strings, bools and null");
        }
    }
}

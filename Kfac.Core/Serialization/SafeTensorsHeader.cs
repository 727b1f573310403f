using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kfac.Tensors;

namespace Kfac.Serialization;

/// <summary>One tensor's entry in a safetensors header: offsets are relative to the data section.</summary>
internal readonly record struct SafeTensorsEntry(string Name, DType DType, Shape Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>Writes and parses the JSON header of the safetensors format
/// (https://huggingface.co/docs/safetensors): {"name": {"dtype", "shape", "data_offsets"}, ...,
/// "__metadata__": {string: string}}, padded with spaces to a multiple of 8 bytes.</summary>
internal static class SafeTensorsHeader
{
    public const string MetadataKey = "__metadata__";

    /// <summary>The same limit as the reference implementation (safetensors' MAX_HEADER_SIZE): a larger
    /// value is a corrupt length field, not a real header.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    // Relaxed escaping keeps names such as "a+b" readable in the header; the output is still valid JSON,
    // which is all the format asks (the "unsafe" part concerns embedding in HTML).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string DTypeCode(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors code"),
    };

    /// <summary>The padded UTF-8 header for <paramref name="entries"/> (in the given order) and metadata.</summary>
    public static byte[] Build(IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", DTypeCode(e.DType));
                json.WriteStartArray("shape");
                foreach (int d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(e.Begin);
                json.WriteNumberValue(e.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>Parses and validates a header against a data section of <paramref name="dataLength"/> bytes:
    /// every entry well formed, sizes equal to dtype size times element count, and the tensors tiling the
    /// data section exactly (in offset order, no gaps, no overlaps), as the reference implementation demands.
    /// Returns the entries in offset order.</summary>
    public static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(ReadOnlyMemory<byte> header, long dataLength, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"the header is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid(source, $"the header is a JSON {root.ValueKind}, not an object");
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw Invalid(source, $"the header names '{property.Name}' twice");
                if (property.Name == MetadataKey) ReadMetadata(property.Value, metadata, source);
                else entries.Add(ReadEntry(property.Name, property.Value, dataLength, source));
            }
            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            CheckTiling(entries, dataLength, source);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"'{MetadataKey}' is a JSON {value.ValueKind}; it must be an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid(source, $"metadata '{item.Name}' is a JSON {item.Value.ValueKind}; metadata values must be strings");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Invalid(source, $"metadata names '{item.Name}' twice");
        }
    }

    private static SafeTensorsEntry ReadEntry(string name, JsonElement value, long dataLength, string source)
    {
        string where = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"{where} is a JSON {value.ValueKind}, not an object with dtype, shape and data_offsets");

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Invalid(source, $"{where} has no string 'dtype'");
        string code = dtypeElement.GetString()!;
        var dtype = code switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            _ => throw Invalid(source, $"{where} has dtype '{code}'; Kfac reads F32 and F64"),
        };

        var dims = ReadIntegers(value, "shape", where, source);
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] > int.MaxValue)
                throw Invalid(source, $"{where} has dimension {i} = {dims[i]}, more than {int.MaxValue}");
        }
        long numel = 1;
        foreach (long d in dims)
        {
            numel *= d;
            if (numel > int.MaxValue)
                throw Invalid(source, $"{where} has shape [{string.Join(", ", dims)}], more than {int.MaxValue} elements");
        }
        var shape = new Shape(dims.Select(d => (int)d).ToArray());

        var offsets = ReadIntegers(value, "data_offsets", where, source);
        if (offsets.Length != 2)
            throw Invalid(source, $"{where} has {offsets.Length} data_offsets; expected [begin, end]");
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw Invalid(source, $"{where} has data_offsets [{begin}, {end}] with begin after end");
        if (end > dataLength)
            throw Invalid(source, $"{where} has data_offsets [{begin}, {end}] but the data section has only {dataLength} bytes (truncated file?)");
        long expected = numel * dtype.SizeInBytes();
        if (end - begin != expected)
            throw Invalid(source, $"{where} is {code} {shape} = {expected} bytes but its data_offsets [{begin}, {end}] span {end - begin}");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement entry, string property, string where, string source)
    {
        if (!entry.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Invalid(source, $"{where} has no '{property}' array");
        var result = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
                throw Invalid(source, $"{where} has '{property}' item {i} = {item.GetRawText()}; expected a non-negative integer");
            result[i++] = v;
        }
        return result;
    }

    private static void CheckTiling(List<SafeTensorsEntry> sorted, long dataLength, string source)
    {
        long position = 0;
        string? previous = null;
        foreach (var e in sorted)
        {
            if (e.Begin < position)
                throw Invalid(source, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous}', which ends at {position}");
            if (e.Begin > position)
                throw Invalid(source, $"tensor '{e.Name}' starts at {e.Begin}, leaving bytes [{position}, {e.Begin}) of the data section unused"
                    + (previous is null ? "" : $" after tensor '{previous}'"));
            position = e.End;
            previous = e.Name;
        }
        if (position != dataLength)
            throw Invalid(source, $"the data section has {dataLength} bytes but the tensors cover only {position}");
    }

    public static InvalidDataException Invalid(string source, string what, Exception? inner = null) =>
        new($"safetensors file '{source}': {what}", inner);
}

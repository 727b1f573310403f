using System.Collections;

namespace Kfac.Serialization;

/// <summary>An ordered set of named metric values: one line of a <see cref="MetricsLog"/>. Keys keep the
/// order in which they were added (so every line of a log reads the same way).</summary>
public sealed class MetricsRecord : IEnumerable<KeyValuePair<string, MetricValue>>
{
    private readonly List<KeyValuePair<string, MetricValue>> _fields = [];

    /// <summary>The number of fields.</summary>
    public int Count => _fields.Count;

    /// <summary>The field names in order.</summary>
    public IEnumerable<string> Keys => _fields.Select(f => f.Key);

    /// <summary>Gets a value, or sets it (replacing in place, or appending a new key at the end).</summary>
    public MetricValue this[string key]
    {
        get
        {
            int i = IndexOf(key);
            return i >= 0 ? _fields[i].Value : throw new KeyNotFoundException($"metrics record has no '{key}'; keys: {string.Join(", ", Keys)}");
        }
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            int i = IndexOf(key);
            if (i >= 0) _fields[i] = new(key, value);
            else _fields.Add(new(key, value));
        }
    }

    /// <summary>Appends a new key (collection-initializer syntax); a repeated key is an error.</summary>
    public void Add(string key, MetricValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (IndexOf(key) >= 0)
            throw new ArgumentException($"metrics record already has '{key}'", nameof(key));
        _fields.Add(new(key, value));
    }

    /// <summary>True if the record has a field <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <summary>The value of field <paramref name="key"/>, if present.</summary>
    public bool TryGetValue(string key, out MetricValue value)
    {
        int i = IndexOf(key);
        value = i >= 0 ? _fields[i].Value : default;
        return i >= 0;
    }

    /// <summary>The fields in order.</summary>
    public IEnumerator<KeyValuePair<string, MetricValue>> GetEnumerator() => _fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString() => "{" + string.Join(", ", _fields.Select(f => $"{f.Key}: {f.Value}")) + "}";

    private int IndexOf(string key)
    {
        for (int i = 0; i < _fields.Count; i++)
            if (_fields[i].Key == key) return i;
        return -1;
    }
}

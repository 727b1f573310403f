using System.Text.Json;

namespace Kfac.Bench;

/// <summary>Prints one JSON object per line (the bench output format) or a readable line without --json.</summary>
internal static class JsonLine
{
    public static void Print(bool json, IReadOnlyDictionary<string, object> fields)
    {
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(fields));
        else
            Console.WriteLine(string.Join("  ", fields.Select(kv => $"{kv.Key}={Format(kv.Value)}")));
    }

    private static string Format(object v) => v switch
    {
        double d => d.ToString("G5", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

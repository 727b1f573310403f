using Kfac.Tensors;

namespace Kfac.Serialization;

/// <summary>A checkpoint does not fit a model: keys missing from the checkpoint, keys the model does not
/// have, or tensors whose shapes differ. Every problem found is listed (in the message and the
/// properties), and nothing was copied.</summary>
public sealed class StateDictMismatchException : ArgumentException
{
    /// <summary>Lists the <paramref name="missingKeys"/>, <paramref name="unexpectedKeys"/> and <paramref name="shapeMismatches"/>;
    /// <paramref name="paramName"/> names the argument that held the checkpoint.</summary>
    public StateDictMismatchException(IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<(string Name, Shape Checkpoint, Shape Model)> shapeMismatches, string paramName)
        : base(Describe(missingKeys, unexpectedKeys, shapeMismatches), paramName)
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Model tensors with no value in the checkpoint.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Checkpoint tensors the model does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Tensors present on both sides with different shapes (checkpoint's, model's).</summary>
    public IReadOnlyList<(string Name, Shape Checkpoint, Shape Model)> ShapeMismatches { get; }

    private static string Describe(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<(string Name, Shape Checkpoint, Shape Model)> shapes)
    {
        var problems = new List<string>();
        problems.AddRange(shapes.Select(s => $"checkpoint tensor '{s.Name}' has shape {s.Checkpoint} but the model's has shape {s.Model}"));
        if (missing.Count > 0)
            problems.Add($"the checkpoint has no value for {Plural(missing.Count, "model tensor")} {Quote(missing)}");
        if (unexpected.Count > 0)
            problems.Add($"the model has no tensor for {Plural(unexpected.Count, "checkpoint tensor")} {Quote(unexpected)}");
        return (problems.Count == 1 ? "" : $"{problems.Count} problems, nothing loaded: ") + string.Join("; ", problems);
    }

    private static string Plural(int n, string noun) => n == 1 ? noun : $"{n} {noun}s";

    private static string Quote(IReadOnlyList<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}

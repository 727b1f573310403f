using Kfac.Optim.Kfac;

namespace Kfac.Examples;

/// <summary>
/// The command-line spelling of distributed K-FAC's options (<see cref="DistributedKfacOptions"/>): --stats-reduction
/// eager|lazy (<see cref="StatisticsReduction"/>) and --inverse-placement replicated|inverses|directions
/// (<see cref="InversePlacement"/>). One table per enum gives both directions: the text read from the command line
/// and the name --help shows for the default, so the two cannot drift apart.
/// </summary>
public static class DistributedKfacFlags
{
    /// <summary>The flag of <see cref="DistributedKfacOptions.Statistics"/>.</summary>
    public const string StatisticsReductionFlag = "--stats-reduction";

    /// <summary>The flag of <see cref="DistributedKfacOptions.Inverses"/>.</summary>
    public const string InversePlacementFlag = "--inverse-placement";

    private static readonly (string Name, StatisticsReduction Value)[] s_statistics =
        [("eager", StatisticsReduction.Eager), ("lazy", StatisticsReduction.Lazy)];

    private static readonly (string Name, InversePlacement Value)[] s_placements =
        [("replicated", InversePlacement.Replicated), ("inverses", InversePlacement.BroadcastInverses), ("directions", InversePlacement.BroadcastDirections)];

    /// <summary>The command-line name of <paramref name="value"/> (eager, lazy).</summary>
    public static string Name(StatisticsReduction value) => NameIn(s_statistics, value);

    /// <summary>The command-line name of <paramref name="value"/> (replicated, inverses, directions).</summary>
    public static string Name(InversePlacement value) => NameIn(s_placements, value);

    /// <summary>The reduction named <paramref name="text"/> (any case); a <see cref="UsageException"/> naming
    /// --stats-reduction and the text otherwise.</summary>
    public static StatisticsReduction Statistics(string text) => Parse(StatisticsReductionFlag, s_statistics, text);

    /// <summary>The placement named <paramref name="text"/> (any case); a <see cref="UsageException"/> naming
    /// --inverse-placement and the text otherwise.</summary>
    public static InversePlacement Placement(string text) => Parse(InversePlacementFlag, s_placements, text);

    private static T Parse<T>(string flag, (string Name, T Value)[] table, string text)
    {
        string name = text.ToLowerInvariant();
        OptionRules.OneOf(flag, name, table.Select(e => e.Name).ToArray());
        return table.First(e => e.Name == name).Value;
    }

    private static string NameIn<T>((string Name, T Value)[] table, T value) where T : struct, Enum =>
        table.FirstOrDefault(e => e.Value.Equals(value)).Name
        ?? throw new ArgumentOutOfRangeException(nameof(value), value, $"no command-line name for {typeof(T).Name}.{value}");
}

namespace Kfac.Rl.Environments;

/// <summary>
/// The action space of an environment, gymnasium's <c>Discrete(n)</c> or <c>Box(low, high, (d,))</c>. Actions
/// travel as a span of doubles: a discrete action is one integer value in [0, n), a continuous one has
/// <see cref="Dimension"/> entries (environments clip them to [low, high] as gymnasium's do).
/// </summary>
public sealed record ActionSpace
{
    private ActionSpace(bool isDiscrete, int count, double low, double high, int dimension)
    {
        IsDiscrete = isDiscrete;
        Count = count;
        Low = low;
        High = high;
        Dimension = dimension;
    }

    /// <summary>True for Discrete(n), false for Box.</summary>
    public bool IsDiscrete { get; }

    /// <summary>Number of discrete actions (0 for a Box).</summary>
    public int Count { get; }

    /// <summary>Lower bound of every Box coordinate.</summary>
    public double Low { get; }

    /// <summary>Upper bound of every Box coordinate.</summary>
    public double High { get; }

    /// <summary>Entries per action: 1 for Discrete, d for Box.</summary>
    public int Dimension { get; }

    public static ActionSpace Discrete(int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "a discrete space needs at least one action");
        return new ActionSpace(true, count, 0, count - 1, 1);
    }

    public static ActionSpace Box(double low, double high, int dimension)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "must be positive");
        if (!(low < high)) throw new ArgumentException($"Box bounds must satisfy low < high (got low {low}, high {high})", nameof(low));
        return new ActionSpace(false, 0, low, high, dimension);
    }

    /// <summary>Checks an action's length (and, for Discrete, that it is an integer in range) and returns the
    /// discrete index (or -1 for a Box).</summary>
    public int Validate(ReadOnlySpan<double> action, string argumentName)
    {
        if (action.Length != Dimension)
            throw new ArgumentException($"action has {action.Length} entries, the space {this} needs {Dimension}", argumentName);
        if (!IsDiscrete)
        {
            foreach (var a in action)
                if (double.IsNaN(a)) throw new ArgumentException($"action contains NaN ({this})", argumentName);
            return -1;
        }
        double v = action[0];
        if (v != Math.Floor(v) || v < 0 || v >= Count)
            throw new ArgumentOutOfRangeException(argumentName, v, $"not an action of {this}");
        return (int)v;
    }

    public override string ToString() => IsDiscrete ? $"Discrete({Count})" : $"Box({Low}, {High}, ({Dimension},))";
}

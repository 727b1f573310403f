namespace Kfac.Training;

/// <summary>When training stops: after a number of epochs, of steps, or of seconds of training time
/// (evaluation excluded), whichever comes first. At least one must be set.</summary>
public sealed record TrainingBudget
{
    /// <summary>Stop after this many epochs (null: no epoch limit).</summary>
    public int? Epochs { get; init; }

    /// <summary>Stop after this many steps (null: no step limit).</summary>
    public long? Steps { get; init; }

    /// <summary>Stop after this many seconds of training time (null: no time limit).</summary>
    public double? Seconds { get; init; }

    /// <summary>Throws unless at least one limit is set and every set limit is positive; returns this.</summary>
    public TrainingBudget Validate()
    {
        if (Epochs is null && Steps is null && Seconds is null)
            throw new ArgumentException("a training budget needs Epochs, Steps or Seconds");
        if (Epochs is <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "must be positive");
        if (Steps is <= 0) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be positive");
        if (Seconds is { } s && !(s > 0)) throw new ArgumentOutOfRangeException(nameof(Seconds), s, "must be positive");
        return this;
    }

    /// <summary>True once any limit is reached at (<paramref name="epoch"/>, <paramref name="step"/>, <paramref name="seconds"/>).</summary>
    public bool Exhausted(int epoch, long step, double seconds) =>
        (Epochs is { } e && epoch >= e) || (Steps is { } n && step >= n) || (Seconds is { } s && seconds >= s);
}

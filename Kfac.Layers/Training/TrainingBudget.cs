namespace Kfac.Training;

/// <summary>When training stops: after a number of epochs, of steps, or of seconds of training time
/// (evaluation excluded), whichever comes first. At least one must be set.</summary>
public sealed record TrainingBudget
{
    public int? Epochs { get; init; }

    public long? Steps { get; init; }

    public double? Seconds { get; init; }

    public TrainingBudget Validate()
    {
        if (Epochs is null && Steps is null && Seconds is null)
            throw new ArgumentException("a training budget needs Epochs, Steps or Seconds");
        if (Epochs is <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "must be positive");
        if (Steps is <= 0) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be positive");
        if (Seconds is { } s && !(s > 0)) throw new ArgumentOutOfRangeException(nameof(Seconds), s, "must be positive");
        return this;
    }

    public bool Exhausted(int epoch, long step, double seconds) =>
        (Epochs is { } e && epoch >= e) || (Steps is { } n && step >= n) || (Seconds is { } s && seconds >= s);
}

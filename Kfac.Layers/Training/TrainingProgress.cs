namespace Kfac.Training;

/// <summary>A snapshot for progress displays.</summary>
public readonly record struct TrainingProgress(
    string Optimizer, long Step, int Epoch, double Seconds, double Fraction, double RecentLoss, double ExamplesPerSecond,
    IReadOnlyDictionary<string, double>? LastEvaluation);

/// <summary>Shows training progress (a terminal progress bar, log lines, nothing).</summary>
public interface IProgressDisplay
{
    /// <summary>Shows <paramref name="progress"/> after a step.</summary>
    void Update(in TrainingProgress progress);

    /// <summary>Shows the final <paramref name="progress"/>.</summary>
    void Complete(in TrainingProgress progress);
}

namespace Kfac.Training;

/// <summary>A snapshot for progress displays.</summary>
public readonly record struct TrainingProgress(
    string Optimizer, long Step, int Epoch, double Seconds, double Fraction, double RecentLoss, double ExamplesPerSecond,
    IReadOnlyDictionary<string, double>? LastEvaluation);

/// <summary>Shows training progress (a terminal progress bar, log lines, nothing).</summary>
public interface IProgressDisplay
{
    void Update(in TrainingProgress progress);

    void Complete(in TrainingProgress progress);
}

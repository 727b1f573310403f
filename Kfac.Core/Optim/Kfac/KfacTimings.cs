using System.Diagnostics;

namespace Kfac.Optim.Kfac;

/// <summary>Cumulative wall-clock seconds per phase of K-FAC's steps (where the time over SGD goes).</summary>
public sealed class KfacTimings
{
    private readonly double[] _seconds = new double[Enum.GetValues<KfacPhase>().Length];

    /// <summary>Seconds spent in <paramref name="phase"/> so far.</summary>
    public double this[KfacPhase phase] => _seconds[(int)phase];

    /// <summary>Seconds over all phases.</summary>
    public double Total => _seconds.Sum();

    /// <summary>Sets every phase back to 0.</summary>
    public void Reset() => Array.Clear(_seconds);

    internal void Add(KfacPhase phase, long startTimestamp) => _seconds[(int)phase] += Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;

    /// <summary>Every phase with its seconds, in enum order.</summary>
    public IEnumerable<(KfacPhase Phase, double Seconds)> All() => Enum.GetValues<KfacPhase>().Select(p => (p, _seconds[(int)p]));
}

/// <summary>The phases of a K-FAC step that <see cref="KfacTimings"/> times.</summary>
public enum KfacPhase
{
    /// <summary>The forward pass and loss on the mini-batch.</summary>
    Forward,
    /// <summary>Extra passes for the curvature statistics (sampled-target backward, or a forward+backward on the
    /// statistics subset).</summary>
    StatisticsPasses,
    /// <summary>The true-gradient backward pass.</summary>
    Backward,
    /// <summary>Folding the captured activations and gradients into the factors (covariance GEMMs).</summary>
    StatisticsUpdate,
    /// <summary>Recomputing the damped inverses (every T3 steps, and for each gamma candidate every T2).</summary>
    Inverses,
    /// <summary>Preconditioning the gradient.</summary>
    Direction,
    /// <summary>Forward-mode Fisher-vector products and the alpha/mu solve.</summary>
    QuadraticModel,
    /// <summary>Applying the update (and the rollback copy).</summary>
    Update,
    /// <summary>The extra forward pass of the Levenberg-Marquardt rule.</summary>
    LambdaAdaptation,
}

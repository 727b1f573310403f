using Kfac.Optim.Kfac;

namespace Kfac.Training;

/// <summary>
/// A training step driven by a <see cref="KfacOptimizer"/>, in one process (<see cref="KfacStep"/>) or data-parallel
/// (<see cref="Distributed.DistributedKfacStep"/>). Code that reports K-FAC's state (lambda, gamma, alpha, mu,
/// rejections: the examples' metrics log and progress lines) reads it through this interface, so both steps are
/// reported alike.
/// </summary>
public interface IKfacTrainingStep : ITrainingStep
{
    /// <summary>The K-FAC optimizer the step drives (its options, timings and, when distributed, its communication).</summary>
    KfacOptimizer Optimizer { get; }

    /// <summary>The last step's details (alpha, mu, rho, lambda, gamma); null before the first step.</summary>
    KfacStepResult? Last { get; }
}

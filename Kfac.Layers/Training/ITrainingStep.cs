using Kfac.Tensors;

namespace Kfac.Training;

/// <summary>One optimisation step on a mini-batch, whatever the optimizer: first-order optimizers run
/// forward, backward and update; K-FAC runs its own sequence of passes. Returns the mini-batch loss before
/// the update (NaN if the step was skipped because the loss or gradient was not finite).</summary>
public interface ITrainingStep
{
    /// <summary>The optimizer's name as logged ("sgd", "momentum", "adam", "kfac", ...).</summary>
    string OptimizerName { get; }

    /// <summary>One step on <paramref name="inputs"/> with <paramref name="targets"/>; the loss before the update, NaN if skipped.</summary>
    double Step(Tensor inputs, Tensor targets);
}

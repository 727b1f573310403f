using Kfac.Optim;
using Kfac.Tensors;

namespace Kfac.Training;

/// <summary>One optimisation step on a mini-batch, whatever the optimizer: first-order optimizers run
/// forward, backward and update; K-FAC runs its own sequence of passes. Returns the mini-batch loss before
/// the update (NaN if the step was skipped because the loss or gradient was not finite). A step owns its
/// optimizer's state: <see cref="ExportState"/> / <see cref="ImportState"/> are what a checkpoint stores and
/// restores, so callers never switch on the step's type. Build steps with <see cref="TrainingSteps.Create"/>.</summary>
public interface ITrainingStep
{
    /// <summary>The optimizer's name as logged ("sgd", "momentum", "adam", "kfac", ...).</summary>
    string OptimizerName { get; }

    /// <summary>One step on <paramref name="inputs"/> with <paramref name="targets"/>; the loss before the update, NaN if skipped.</summary>
    double Step(Tensor inputs, Tensor targets);

    /// <summary>The optimizer's state (buffers, step counters, damping) as a checkpoint stores it.</summary>
    OptimizerStateDict ExportState();

    /// <summary>Restores state written by <see cref="ExportState"/> of a step with the same optimizer and parameters;
    /// throws <see cref="ArgumentException"/> naming the mismatch otherwise.</summary>
    void ImportState(OptimizerStateDict state);

    /// <summary>The learning rate that is part of the optimizer's state (a first-order optimizer's, group 0's;
    /// a checkpoint restores it), or null when the rate is configuration that no checkpoint carries (K-FAC's
    /// <see cref="Kfac.Optim.Kfac.KfacOptions.LearningRate"/>).</summary>
    double? LearningRate { get; }

    /// <summary>Sets every group's learning rate to <paramref name="learningRate"/> (e.g. an explicit --lr after
    /// resuming). Throws <see cref="NotSupportedException"/> when <see cref="LearningRate"/> is null.</summary>
    void SetLearningRate(double learningRate);
}

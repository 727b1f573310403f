using Kfac.Optim;
using Kfac.Layers;
using Kfac.Optim.Kfac;
using Kfac.Tensors;

namespace Kfac.Training;

/// <summary>A K-FAC iteration (the optimizer runs the network as often as it needs).</summary>
public sealed class KfacStep(Module model, KfacOptimizer optimizer) : IKfacTrainingStep
{
    /// <inheritdoc/>
    public string OptimizerName => "kfac";

    /// <summary>The model trained.</summary>
    public Module Model { get; } = model;

    /// <summary>The K-FAC optimizer.</summary>
    public KfacOptimizer Optimizer { get; } = optimizer;

    /// <summary>The last step's details (alpha, mu, rho, lambda, gamma).</summary>
    public KfacStepResult? Last { get; private set; }

    /// <inheritdoc/>
    public double Step(Tensor inputs, Tensor targets)
    {
        Last = Optimizer.Step(Model.Forward, inputs, targets);
        return Last.Rejected ? double.NaN : Last.Loss;
    }

    /// <inheritdoc/>
    public OptimizerStateDict ExportState() => Optimizer.ExportState();

    /// <inheritdoc/>
    public void ImportState(OptimizerStateDict state) => Optimizer.ImportState(state);

    /// <summary>Null: K-FAC's learning rate (<see cref="KfacOptions.LearningRate"/>, used by the fixed and KL-clipped
    /// step sizes) is configuration, never restored from a checkpoint.</summary>
    public double? LearningRate => null;

    /// <summary>Throws <see cref="NotSupportedException"/>: K-FAC's learning rate is an option (<see cref="KfacOptions.LearningRate"/>); build the step with it.</summary>
    public void SetLearningRate(double learningRate) =>
        throw new NotSupportedException($"K-FAC's learning rate is configuration (KfacOptions.LearningRate = {Optimizer.Options.LearningRate}); build the step with the rate wanted instead of setting {learningRate}");
}

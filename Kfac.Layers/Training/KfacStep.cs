using Kfac.Layers;
using Kfac.Optim.Kfac;
using Kfac.Tensors;

namespace Kfac.Training;

/// <summary>A K-FAC iteration (the optimizer runs the network as often as it needs).</summary>
public sealed class KfacStep(Module model, KfacOptimizer optimizer) : ITrainingStep
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
}

using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Tensors;

namespace Kfac.Training;

/// <summary>zero grad, forward, loss, backward, update — skipping the update (weights untouched) when the loss
/// or a gradient is not finite.</summary>
public sealed class FirstOrderStep(Module model, ILoss loss, Optimizer optimizer, string optimizerName) : ITrainingStep
{
    /// <summary>A step of <paramref name="optimizer"/> on <paramref name="model"/> and <paramref name="loss"/>, logged under the
    /// name derived from the optimizer (<see cref="OptimizerNames.Of"/>).</summary>
    public FirstOrderStep(Module model, ILoss loss, Optimizer optimizer)
        : this(model, loss, optimizer, OptimizerNames.Of(optimizer ?? throw new ArgumentNullException(nameof(optimizer))))
    {
    }

    /// <inheritdoc/>
    public string OptimizerName { get; } = optimizerName;

    /// <summary>The model trained.</summary>
    public Module Model { get; } = model;

    /// <summary>The first-order optimizer.</summary>
    public Optimizer Optimizer { get; } = optimizer;

    /// <summary>How many steps were skipped because the loss or a gradient was not finite.</summary>
    public int SkippedSteps { get; private set; }

    /// <inheritdoc/>
    public double Step(Tensor inputs, Tensor targets)
    {
        Optimizer.ZeroGrad();
        var value = loss.Value(Model.Forward(inputs), targets);
        double l = value.Item();
        if (!double.IsFinite(l))
        {
            SkippedSteps++;
            return double.NaN;
        }
        value.Backward();
        if (!Optimizer.GradientsAreFinite())
        {
            SkippedSteps++;
            return double.NaN;
        }
        Optimizer.Step();
        return l;
    }

    /// <inheritdoc/>
    public OptimizerStateDict ExportState() => Optimizer.ExportState();

    /// <inheritdoc/>
    public void ImportState(OptimizerStateDict state) => Optimizer.ImportState(state);

    /// <inheritdoc/>
    public double? LearningRate => Optimizer.LearningRate;

    /// <inheritdoc/>
    public void SetLearningRate(double learningRate) => Optimizer.LearningRate = learningRate;
}

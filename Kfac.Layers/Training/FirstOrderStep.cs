using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Tensors;

namespace Kfac.Training;

/// <summary>zero grad, forward, loss, backward, update — skipping the update (weights untouched) when the loss
/// or a gradient is not finite.</summary>
public sealed class FirstOrderStep(Module model, ILoss loss, Optimizer optimizer, string optimizerName) : ITrainingStep
{
    public string OptimizerName { get; } = optimizerName;

    public Module Model { get; } = model;

    public Optimizer Optimizer { get; } = optimizer;

    public int SkippedSteps { get; private set; }

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
}

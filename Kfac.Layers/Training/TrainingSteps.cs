using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Training.Distributed;

namespace Kfac.Training;

/// <summary>
/// The one place a training step is built from an optimizer's name and options: every name in
/// <see cref="OptimizerNames.Known"/> gives its <see cref="ITrainingStep"/> (a <see cref="FirstOrderStep"/> or a
/// <see cref="KfacStep"/>), and with a communicator its data-parallel form (<see cref="DataParallelStep"/>,
/// <see cref="DistributedKfacStep"/>). Examples, benchmarks and library users call it instead of switching on names.
/// <code>
/// var step = TrainingSteps.Create(model, new SoftmaxCrossEntropy(),
///     new OptimizerChoice { Name = "kfac", Kfac = new KfacOptions { InitialLambda = 1 } });
/// double loss = step.Step(x, targets);
/// </code>
/// </summary>
public static class TrainingSteps
{
    /// <summary>
    /// The step of <paramref name="choice"/>'s optimizer on <paramref name="model"/>'s parameters and
    /// <paramref name="loss"/> (K-FAC's Fisher comes from the loss). With a <paramref name="communicator"/> the step is
    /// data-parallel over its ranks (rank 0's parameters are broadcast first; <paramref name="distributedKfac"/>
    /// configures distributed K-FAC, null: its defaults); without one it is the single-process step.
    /// Throws <see cref="ArgumentException"/> naming the optimizer and field for an unknown name or bad options
    /// (<see cref="OptimizerChoice.Validate"/>).
    /// </summary>
    public static ITrainingStep Create(Module model, ILoss loss, OptimizerChoice choice, ICommunicator? communicator = null,
        DistributedKfacOptions? distributedKfac = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(choice);
        choice.Validate();
        string name = choice.NormalizedName();
        var parameters = model.Parameters();
        if (choice.EffectiveOptions() is KfacOptions kfacOptions)
        {
            var kfac = new KfacOptimizer(parameters, loss, kfacOptions);
            return communicator is null ? new KfacStep(model, kfac) : new DistributedKfacStep(model, kfac, communicator, distributedKfac);
        }
        Optimizer optimizer = choice.EffectiveOptions() switch
        {
            SgdOptions sgd => new Sgd(parameters, sgd),
            AdamOptions adam => new Adam(parameters, adam),
            RmsPropOptions rms => new RmsProp(parameters, rms),
            var other => throw new InvalidOperationException($"OptimizerChoice.EffectiveOptions returned {other.GetType().Name} for '{name}'"),
        };
        return communicator is null
            ? new FirstOrderStep(model, loss, optimizer, name)
            : new DataParallelStep(model, loss, optimizer, name, communicator);
    }
}

using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Training;

namespace Kfac.Examples;

/// <summary>Turns the command line's optimizer choice into a training step (<see cref="TrainingSteps.Create"/>), data-parallel
/// over MPI's ranks with --distributed mpi.</summary>
public static class Optimizers
{
    /// <summary>The step of <paramref name="s"/>'s optimizer (<see cref="RunSettings.Choice"/>, already checked by
    /// <see cref="OptionRules"/>) on <paramref name="model"/> and <paramref name="loss"/>, over the process's
    /// communicator (<see cref="DistributedSetup"/>) with --distributed mpi.</summary>
    public static ITrainingStep Create(RunSettings s, Module model, ILoss loss)
    {
        ArgumentNullException.ThrowIfNull(s);
        var communicator = DistributedSetup.Communicator(s);
        return Create(s, model, loss, s.Distributed == "none" ? null : communicator);
    }

    /// <summary>The step of <paramref name="s"/>'s optimizer, data-parallel over <paramref name="communicator"/>
    /// (null: one process); distributed K-FAC with <see cref="RunSettings.DistributedKfac"/>. A model the
    /// data-parallel step cannot train is a <see cref="UsageException"/>.</summary>
    public static ITrainingStep Create(RunSettings s, Module model, ILoss loss, ICommunicator? communicator)
    {
        ArgumentNullException.ThrowIfNull(s);
        try
        {
            return TrainingSteps.Create(model, loss, s.Choice, communicator, s.DistributedKfac);
        }
        catch (NotSupportedException e)
        {
            throw new UsageException($"--distributed {s.Distributed} --optimizer {s.Optimizer}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }
}

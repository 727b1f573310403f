using Kfac.Optim.Kfac;
using Kfac.Training;

namespace Kfac.Examples;

/// <summary>The command-line settings shared by the examples. The optimizers' options are not copied here field by
/// field: <see cref="Choice"/> holds the options records themselves (the example's <see cref="ExampleDefaults"/> with
/// the flags given applied), which is what <see cref="TrainingSteps.Create"/> builds the step from.</summary>
public sealed record RunSettings
{
    /// <summary>The optimizer to train with and the options of each optimizer the example offers.</summary>
    public OptimizerChoice Choice { get; init; } = new();

    /// <summary>The optimizer's name (<see cref="OptimizerChoice.Name"/>).</summary>
    public string Optimizer => Choice.Name;

    public string Data { get; init; } = "embedded";
    public string? DataDir { get; init; }
    public int BatchSize { get; init; }
    public int? Epochs { get; init; }
    public double? Seconds { get; init; }
    public long? Steps { get; init; }

    /// <summary>The --lr given on the command line (null: the options records' rate); on --resume it replaces a
    /// first-order optimizer's checkpointed rate.</summary>
    public double? LearningRate { get; init; }
    public int Seed { get; init; }
    public string? Log { get; init; }
    public string? Checkpoint { get; init; }
    public string? Resume { get; init; }
    public int Threads { get; init; }

    /// <summary>The --device text (cpu, cuda, cuda:N, ilgpu-cpu).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>The device opened for <see cref="Device"/> (by <see cref="OptionRules.Validate"/>): models, batches
    /// and evaluations live there.</summary>
    public Kfac.Tensors.Device ComputeDevice { get; init; } = Kfac.Tensors.Device.Cpu;

    public double LogEverySeconds { get; init; } = 5;

    /// <summary>Also evaluate and log every N steps (null: by seconds only).</summary>
    public long? EvaluateEverySteps { get; init; }

    /// <summary>Also evaluate and log at the end of every N epochs (null: by seconds only).</summary>
    public int? EvaluateEveryEpochs { get; init; }

    /// <summary>ONNX file to export the trained model to (null: no export).</summary>
    public string? ExportOnnx { get; init; }

    /// <summary>PNG file for the training curves of <see cref="Log"/> (null: no plot).</summary>
    public string? Plot { get; init; }

    /// <summary>Fraction of the training set held out for validation (0: none, evaluate on the test set).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>none | mpi (data-parallel over mpirun's ranks; see DistributedSetup).</summary>
    public string Distributed { get; init; } = "none";

    /// <summary>Distributed K-FAC's options (--stats-reduction, --inverse-placement): passed to
    /// <see cref="TrainingSteps.Create"/> with --distributed mpi, unused in one process.</summary>
    public DistributedKfacOptions DistributedKfac { get; init; } = new();
}

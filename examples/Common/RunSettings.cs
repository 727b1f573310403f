using Kfac.Curvature;
using Kfac.Optim.Kfac;

namespace Kfac.Examples;

/// <summary>The command-line settings shared by the examples.</summary>
public sealed record RunSettings
{
    /// <summary>The K-FAC defaults the settings below start from (one source: the options record).</summary>
    private static readonly KfacOptions KfacDefaults = new();

    public string Optimizer { get; init; } = "kfac";
    public string Data { get; init; } = "embedded";
    public string? DataDir { get; init; }
    public int BatchSize { get; init; }
    public int? Epochs { get; init; }
    public double? Seconds { get; init; }
    public long? Steps { get; init; }
    public double? LearningRate { get; init; }
    public double Momentum { get; init; } = 0.9;
    public int Seed { get; init; }
    public string? Log { get; init; }
    public string? Checkpoint { get; init; }
    public string? Resume { get; init; }
    public int Threads { get; init; }
    public string Device { get; init; } = "cpu";
    public double LogEverySeconds { get; init; } = 5;

    /// <summary>Also evaluate and log every N steps (null: by seconds only).</summary>
    public long? EvaluateEverySteps { get; init; }

    /// <summary>Also evaluate and log at the end of every N epochs (null: by seconds only).</summary>
    public int? EvaluateEveryEpochs { get; init; }
    public double Lambda { get; init; } = KfacDefaults.InitialLambda;
    public double L2 { get; init; } = KfacDefaults.L2;
    public CurvatureStructure Structure { get; init; } = KfacDefaults.Structure;
    public FisherEstimation Estimation { get; init; } = KfacDefaults.Estimation;
    public StepSizeRule StepSize { get; init; } = KfacDefaults.StepSize;
    public double StatisticsFraction { get; init; } = KfacDefaults.StatisticsFraction;
    public double QuadraticModelFraction { get; init; } = KfacDefaults.QuadraticModelFraction;
    public int InverseInterval { get; init; } = KfacDefaults.InverseInterval;
    public int StatisticsInterval { get; init; } = KfacDefaults.StatisticsInterval;

    /// <summary>K-FAC KL clipping bound (with StepSize KlClipping).</summary>
    public double KlClip { get; init; } = KfacDefaults.KlClip;

    /// <summary>K-FAC lower bound on lambda.</summary>
    public double MinLambda { get; init; } = KfacDefaults.MinLambda;

    /// <summary>K-FAC rule for the preconditioner damping gamma.</summary>
    public GammaRule GammaRule { get; init; } = KfacDefaults.GammaRule;

    /// <summary>K-FAC: reject or shrink a step whose quadratic model predicts an impossible decrease.</summary>
    public ImplausibleStepRule ImplausibleStep { get; init; } = KfacDefaults.ImplausibleStep;

    /// <summary>ONNX file to export the trained model to (null: no export).</summary>
    public string? ExportOnnx { get; init; }

    /// <summary>PNG file for the training curves of <see cref="Log"/> (null: no plot).</summary>
    public string? Plot { get; init; }

    /// <summary>Fraction of the training set held out for validation (0: none, evaluate on the test set).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>none | mpi (data-parallel over mpirun's ranks; see DistributedSetup).</summary>
    public string Distributed { get; init; } = "none";
}

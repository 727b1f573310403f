using System.CommandLine;
using System.Globalization;
using Kfac.Curvature;
using Kfac.Optim.Kfac;
using Kfac.Training;

namespace Kfac.Examples;

/// <summary>Builds the examples' command line (System.CommandLine) and reads it into <see cref="RunSettings"/>. Every
/// default shown in --help and used when a flag is absent comes from the example's <see cref="ExampleDefaults"/> (the
/// options records); a flag given replaces exactly the field it names, whether written <c>--lambda 5</c> or
/// <c>--lambda=5</c>.</summary>
public sealed class ExampleCommand
{
    private readonly Option<string> _optimizer = new("--optimizer") { Description = "sgd | momentum | nesterov | adam | kfac", DefaultValueFactory = _ => OptimizerNames.Kfac };
    private readonly Option<string> _data = new("--data") { Description = "embedded (shipped subset) | fashion-mnist (Debian package or --data-dir)", DefaultValueFactory = _ => "embedded" };
    private readonly Option<string?> _dataDir = new("--data-dir") { Description = "directory with the Fashion-MNIST IDX files" };
    private readonly Option<int?> _batch;
    private readonly ExampleDefaults _defaults;
    private readonly Option<int?> _epochs = new("--epochs") { Description = "training budget in epochs" };
    private readonly Option<double?> _seconds = new("--seconds") { Description = "training budget in seconds of training time" };
    private readonly Option<long?> _steps = new("--steps") { Description = "training budget in optimizer steps" };
    private readonly Option<double?> _lr;
    private readonly Option<double?> _momentum;
    private readonly Option<int> _seed = new("--seed") { Description = "random seed (initialisation, shuffling, sampling)", DefaultValueFactory = _ => 0 };
    private readonly Option<string?> _log = new("--log") { Description = "metrics log file (one JSON object per line)" };
    private readonly Option<string?> _checkpoint = new("--checkpoint") { Description = "save model + optimizer state here (safetensors) at every log record and at the end" };
    private readonly Option<string?> _resume = new("--resume") { Description = "continue from this checkpoint" };
    private readonly Option<int> _threads = new("--threads") { Description = "CPU threads for the kernels (0 = all cores)", DefaultValueFactory = _ => 0 };
    private readonly Option<string> _device = new("--device") { Description = "cpu | cuda | cuda:N (CUDA GPU, ILGPU backend) | ilgpu-cpu (the GPU kernels on ILGPU's CPU accelerator: slow, for testing)", DefaultValueFactory = _ => "cpu" };
    private readonly Option<double> _logEvery = new("--log-every") { Description = "seconds of training between evaluations/log records", DefaultValueFactory = _ => 5 };
    private readonly Option<long?> _evalEverySteps = new("--eval-every-steps") { Description = "also evaluate/log (and checkpoint) every N steps" };
    private readonly Option<int?> _evalEveryEpochs = new("--eval-every-epochs") { Description = "also evaluate/log (and checkpoint) at the end of every N epochs" };
    private readonly Option<double> _lambda;
    private readonly Option<double> _l2;
    private readonly Option<CurvatureStructure> _structure;
    private readonly Option<FisherEstimation> _estimation;
    private readonly Option<StepSizeRule> _stepSize;
    private readonly Option<double> _statsFraction;
    private readonly Option<double> _quadFraction;
    private readonly Option<double> _rhoFraction;
    private readonly Option<double> _momentumLimit;
    private readonly Option<int> _curvatureRowsMin;
    private readonly Option<int> _curvatureRowsMax;
    private readonly Option<int> _inverseInterval;
    private readonly Option<double> _minLambda;
    private readonly Option<double> _lambdaDecay;
    private readonly Option<double> _statsDecay;
    private readonly Option<double> _klClip;
    private readonly Option<int> _statsInterval;
    private readonly Option<int> _inverseStaleness;
    private readonly Option<string> _statsReduction;
    private readonly Option<string> _inversePlacement;
    private readonly Option<string?> _exportOnnx = new("--export-onnx") { Description = "after training, write the model (evaluation mode) to this ONNX file (opset 17)" };
    private readonly Option<string?> _plot = new("--plot") { Description = "after training, draw the --log file's curves to this PNG (tools/Kfac.Plot)" };
    private readonly Option<string> _distributed = new("--distributed") { Description = "none | mpi (data-parallel over the ranks of mpirun -np N; every optimizer, on the CPU)", DefaultValueFactory = _ => "none" };

    private readonly Option<GammaRule> _gammaRule;
    private readonly Option<ImplausibleStepRule> _implausibleStep;
    private readonly Option<double> _validation = new("--validation") { Description = "hold out this fraction of the training set (stratified, fixed split) and evaluate on it instead of the test set: for tuning, so the test set is never consulted (metrics validation_*)", DefaultValueFactory = _ => 0.0 };

    /// <summary>The command line of an example with the first-order batch <paramref name="defaultBatch"/>, K-FAC's options
    /// <paramref name="kfacDefaults"/> (null: <see cref="KfacOptions"/>' own) and K-FAC batch <paramref name="kfacBatch"/>
    /// (null: <paramref name="defaultBatch"/>); the other optimizers' options are <see cref="ExampleDefaults"/>' own.</summary>
    public ExampleCommand(string description, int defaultBatch, KfacOptions? kfacDefaults = null, int? kfacBatch = null)
        : this(description, new ExampleDefaults { Batch = defaultBatch, KfacBatch = kfacBatch, Kfac = kfacDefaults ?? new KfacOptions() })
    {
    }

    /// <summary>The command line of an example whose every default is <paramref name="defaults"/> (the one source:
    /// --help shows these values and <see cref="Read"/> starts from them). Each optimizer gets the batch size and
    /// options measured best for it.</summary>
    public ExampleCommand(string description, ExampleDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        _defaults = defaults;
        var k = defaults.Kfac;
        string batchDefault = defaults.BatchFor(OptimizerNames.Kfac) == defaults.Batch ? $"{defaults.Batch}" : $"{defaults.KfacBatch} for kfac, {defaults.Batch} otherwise";
        _batch = new("--batch-size") { Description = $"mini-batch size [default: {batchDefault}]" };
        _lr = new("--lr")
        {
            Description = $"learning rate [default: {Number(defaults.Sgd.LearningRate)} for sgd, momentum and nesterov, {Number(defaults.Adam.LearningRate)} for adam, " +
                $"{Number(k.LearningRate)} for kfac with --step-size FixedLearningRate|KlClipping]",
        };
        string momentumDefault = defaults.Sgd.Momentum == k.Momentum ? Number(k.Momentum) : $"{Number(defaults.Sgd.Momentum)} for momentum and nesterov, {Number(k.Momentum)} for kfac";
        _momentum = new("--momentum") { Description = $"momentum (momentum and nesterov SGD; K-FAC's FixedLearningRate/KlClipping step sizes) [default: {momentumDefault}]" };
        _lambda = new("--lambda") { Description = "K-FAC: initial Levenberg-Marquardt damping", DefaultValueFactory = _ => k.InitialLambda };
        _l2 = new("--l2") { Description = "K-FAC: L2 coefficient eta", DefaultValueFactory = _ => k.L2 };
        _structure = new("--structure") { Description = "K-FAC: BlockDiagonal | BlockTridiagonal", DefaultValueFactory = _ => k.Structure };
        _estimation = new("--estimation") { Description = "K-FAC: Sampled | Exact | Empirical", DefaultValueFactory = _ => k.Estimation };
        _stepSize = new("--step-size") { Description = "K-FAC: QuadraticModel | FixedLearningRate | KlClipping", DefaultValueFactory = _ => k.StepSize };
        _statsFraction = new("--stats-fraction") { Description = "K-FAC: fraction of the batch for curvature statistics (raised to --curvature-rows-min rows, lowered to --curvature-rows-max)", DefaultValueFactory = _ => k.StatisticsFraction };
        _quadFraction = new("--quad-fraction") { Description = "K-FAC: fraction of the batch for the quadratic model's Fisher products (raised to --curvature-rows-min rows, lowered to --curvature-rows-max)", DefaultValueFactory = _ => k.QuadraticModelFraction };
        _rhoFraction = new("--rho-fraction") { Description = "K-FAC: fraction of the batch on which the reduction ratio rho (lambda's adaptation) is measured (raised to --curvature-rows-min rows, lowered to --curvature-rows-max)", DefaultValueFactory = _ => k.RhoFraction };
        _curvatureRowsMin = new("--curvature-rows-min") { Description = "K-FAC: at least this many rows of the batch (all of a smaller batch) for the statistics, the quadratic model and rho (0: no floor)", DefaultValueFactory = _ => defaults.CurvatureRowsMin };
        _curvatureRowsMax = new("--curvature-rows-max") { Description = "K-FAC: at most this many rows of the batch for the statistics, the quadratic model and rho (the fractions apply below it; 0: no cap)", DefaultValueFactory = _ => defaults.CurvatureRowsMax };
        _inverseInterval = new("--inverse-interval") { Description = "K-FAC: recompute inverses every T3 steps", DefaultValueFactory = _ => k.InverseInterval };
        _momentumLimit = new("--momentum-limit") { Description = "K-FAC: bound on |mu|, the quadratic model's momentum (Infinity: unbounded)", DefaultValueFactory = _ => k.MomentumLimit };
        _minLambda = new("--min-lambda") { Description = "K-FAC: lower bound on the Levenberg-Marquardt damping", DefaultValueFactory = _ => k.MinLambda };
        _statsDecay = new("--stats-decay") { Description = "K-FAC: cap on the statistics' moving-average weight of the old value, eps = min(1 - 1/k, decay) (kfac-jax's curvature_ema is 1 - decay)", DefaultValueFactory = _ => k.Decay };
        _lambdaDecay = new("--lambda-decay") { Description = "K-FAC: per-step factor of the Levenberg-Marquardt rule (lambda *= decay^T1 after a good rho; the paper's 19/20)", DefaultValueFactory = _ => k.LambdaDecay };
        _klClip = new("--kl-clip") { Description = "K-FAC with --step-size KlClipping: bound on the predicted KL change per step", DefaultValueFactory = _ => k.KlClip };
        _statsInterval = new("--stats-interval") { Description = "K-FAC: update curvature statistics every T_stats steps", DefaultValueFactory = _ => k.StatisticsInterval };
        _inverseStaleness = new("--inverse-staleness")
        {
            Description = "K-FAC: compute each scheduled inverse refresh on a background thread and install it S steps later, exactly (0: synchronous; must be below --inverse-interval)",
            DefaultValueFactory = _ => k.InverseStaleness,
        };
        var distributed = defaults.DistributedKfac;
        _statsReduction = new(DistributedKfacFlags.StatisticsReductionFlag)
        {
            Description = "K-FAC with --distributed mpi: eager (all-reduce the factor statistics at every statistics step) | lazy (only when the inverses are refreshed: T3/T1 times fewer messages); no effect in one process",
            DefaultValueFactory = _ => DistributedKfacFlags.Name(distributed.Statistics),
        };
        _inversePlacement = new(DistributedKfacFlags.InversePlacementFlag)
        {
            Description = "K-FAC with --distributed mpi: replicated (every rank inverts every block) | inverses (each block inverted on one rank, the inverse broadcast) | directions (each block inverted and applied on one rank, the preconditioned gradient broadcast); no effect in one process",
            DefaultValueFactory = _ => DistributedKfacFlags.Name(distributed.Inverses),
        };
        _gammaRule = new("--gamma-rule") { Description = "K-FAC: TiedToLambda (gamma = sqrt(lambda + eta)) | Search (section 6.6) | Fixed", DefaultValueFactory = _ => k.GammaRule };
        _implausibleStep = new("--implausible-step") { Description = "K-FAC: Reject | Shrink a step whose quadratic model predicts a decrease larger than the loss can fall", DefaultValueFactory = _ => k.ImplausibleStep };
        Root = new RootCommand(description)
        {
            _optimizer, _data, _dataDir, _batch, _epochs, _seconds, _steps, _lr, _momentum, _seed, _log, _checkpoint, _resume,
            _threads, _device, _logEvery, _evalEverySteps, _evalEveryEpochs, _lambda, _l2, _structure, _estimation, _stepSize, _statsFraction, _quadFraction, _rhoFraction, _momentumLimit, _curvatureRowsMin, _curvatureRowsMax, _inverseInterval, _statsInterval, _klClip, _minLambda, _lambdaDecay, _statsDecay, _gammaRule, _implausibleStep,
            _inverseStaleness, _statsReduction, _inversePlacement,
            _exportOnnx, _plot, _distributed, _validation,
        };
    }

    public RootCommand Root { get; }

    /// <summary>The settings of parse result <paramref name="r"/>: the example's defaults with every flag given applied,
    /// checked by <see cref="OptionRules.Validate"/> (a <see cref="UsageException"/> naming the option otherwise).</summary>
    public RunSettings Read(ParseResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        string optimizer = r.GetValue(_optimizer)!.ToLowerInvariant();
        double? lr = r.GetValue(_lr), momentum = r.GetValue(_momentum);
        int seed = r.GetValue(_seed);
        var d = _defaults;
        var choice = new OptimizerChoice
        {
            Name = optimizer,
            Sgd = d.Sgd with { LearningRate = lr ?? d.Sgd.LearningRate, Momentum = momentum ?? d.Sgd.Momentum },
            Adam = d.Adam with { LearningRate = lr ?? d.Adam.LearningRate },
            Kfac = d.Kfac with
            {
                InitialLambda = r.GetValue(_lambda),
                L2 = r.GetValue(_l2),
                Structure = r.GetValue(_structure),
                Estimation = r.GetValue(_estimation),
                StepSize = r.GetValue(_stepSize),
                LearningRate = lr ?? d.Kfac.LearningRate,
                Momentum = momentum ?? d.Kfac.Momentum,
                StatisticsFraction = r.GetValue(_statsFraction),
                QuadraticModelFraction = r.GetValue(_quadFraction),
                RhoFraction = r.GetValue(_rhoFraction),
                InverseInterval = r.GetValue(_inverseInterval),
                StatisticsInterval = r.GetValue(_statsInterval),
                KlClip = r.GetValue(_klClip),
                MinLambda = r.GetValue(_minLambda),
                MomentumLimit = r.GetValue(_momentumLimit),
                LambdaDecay = r.GetValue(_lambdaDecay),
                Decay = r.GetValue(_statsDecay),
                GammaRule = r.GetValue(_gammaRule),
                ImplausibleStep = r.GetValue(_implausibleStep),
                InverseStaleness = r.GetValue(_inverseStaleness),
                // K-FAC's Fisher sampling follows --seed (seed 0 gives KfacOptions' own seed, 1).
                Seed = (ulong)seed + 1,
            },
        };
        int batch = r.GetValue(_batch) ?? d.BatchFor(optimizer);
        int rowsMin = r.GetValue(_curvatureRowsMin), rowsMax = r.GetValue(_curvatureRowsMax);
        if (rowsMin < 0) throw new UsageException($"--curvature-rows-min must be >= 0 (0: no floor); got {rowsMin}");
        if (rowsMax < 0) throw new UsageException($"--curvature-rows-max must be >= 0 (0: no cap); got {rowsMax}");
        if (rowsMin > 0 && rowsMax > 0 && rowsMin > rowsMax)
            throw new UsageException($"--curvature-rows-min ({rowsMin}) must not exceed --curvature-rows-max ({rowsMax})");
        choice = choice with { Kfac = ExampleDefaults.BoundCurvatureRows(choice.Kfac, batch, rowsMin, rowsMax) };
        return OptionRules.Validate(new()
        {
            Choice = choice,
            Data = r.GetValue(_data)!.ToLowerInvariant(),
            DataDir = r.GetValue(_dataDir),
            BatchSize = batch,
            Epochs = r.GetValue(_epochs),
            Seconds = r.GetValue(_seconds),
            Steps = r.GetValue(_steps),
            LearningRate = lr,
            Seed = seed,
            Log = r.GetValue(_log),
            Checkpoint = r.GetValue(_checkpoint),
            Resume = r.GetValue(_resume),
            Threads = r.GetValue(_threads),
            Device = r.GetValue(_device)!.ToLowerInvariant(),
            LogEverySeconds = r.GetValue(_logEvery),
            EvaluateEverySteps = r.GetValue(_evalEverySteps),
            EvaluateEveryEpochs = r.GetValue(_evalEveryEpochs),
            ExportOnnx = r.GetValue(_exportOnnx),
            Plot = r.GetValue(_plot),
            Distributed = r.GetValue(_distributed)!.ToLowerInvariant(),
            ValidationFraction = r.GetValue(_validation),
            DistributedKfac = d.DistributedKfac with
            {
                Statistics = DistributedKfacFlags.Statistics(r.GetValue(_statsReduction)!),
                Inverses = DistributedKfacFlags.Placement(r.GetValue(_inversePlacement)!),
            },
        });
    }

    private static string Number(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}

using System.Diagnostics;
using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Linalg;
using Kfac.Losses;
using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Optim.Kfac;

/// <summary>
/// K-FAC (Martens &amp; Grosse 2015): natural-gradient steps preconditioned by a Kronecker-factored
/// approximation of the Fisher, with the paper's damping machinery: factored Tikhonov damping gamma
/// (re-chosen every T2 steps), Levenberg-Marquardt adaptation of lambda (every T1 steps), and update
/// lengths (alpha, mu) from the quadratic model with exact mini-batch Fisher-vector products (forward
/// mode). Layers register themselves by recording their tags during a forward pass; a step runs the
/// network (given as a forward function) as many times as the algorithm needs. What a step does is decided first by
/// <see cref="KfacStepPlan.For"/> (a pure function of k, the options and a small state) and then executed by the phase
/// methods of KfacOptimizer.Phases.cs, in the paper's order.
/// <code>
/// var kfac = new KfacOptimizer(model.Parameters(), new SigmoidCrossEntropy(), new KfacOptions());
/// foreach (var (x, t) in batches) { using var scope = TensorScope.Begin(); kfac.Step(model.Forward, x, t); }
/// </code>
/// </summary>
public sealed partial class KfacOptimizer
{
    private readonly Tensor[] _parameters;
    private readonly Tensor[] _direction;      // Delta
    private Tensor[]? _keptDirection;          // the best gamma trial's Delta (allocated on the first trial)
    private readonly Tensor[] _previous;       // delta0, the last applied update
    private readonly Tensor[] _gradient;       // grad h = grad loss + eta theta
    private readonly Tensor[] _backup;         // theta before the last update (for rejection)
    private readonly CurvatureRecorder _recorder = new();
    private readonly RandomStream _rng;
    private List<CurvatureBlock>? _blocks;

    /// <summary>Whether the quadratic model replays forward mode over a recorded graph; turned off for good when some
    /// op has no replay rule (then a fresh forward-mode pass per product). Settable for tests: both routes give the
    /// same step.</summary>
    internal bool ReplayQuadraticModel { get; set; } = true;
    private int[][]? _blockParameterIndex;
    private Tensor[][]? _blockGradients, _blockDirections; // each block's slices of _gradient and _direction
    private bool _inversesStale;                // the last refresh failed: refresh at the next step
    private IDisposable? _parameterHold;        // the step's promise that the parameters are constant (see Step)
    private double _lossScale = double.NaN;     // running mean of accepted mini-batch losses above the loss's bound
    private double _lossFloor = double.NaN;     // 1% of the first such loss: the scale never counts below it
    private bool _lastUpdateUndone;             // the weights are the backup: nothing left to roll back until the next update
    private PendingRho? _pendingRho;            // the last update, waiting for the next batch to judge it (RhoEvaluation.NextBatch)

    /// <summary>An update whose reduction ratio is measured on the next batch: its model change M(delta) and
    /// |theta|^2 before and after it (for the L2 part of h).</summary>
    private sealed record PendingRho(double ModelChange, double SquaredNormBefore, double SquaredNormAfter);

    /// <summary>K-FAC over <paramref name="parameters"/> (leaves with RequiresGrad, at least one) for <paramref name="loss"/>; <paramref name="options"/> defaults to <see cref="KfacOptions"/>' defaults and is validated here.</summary>
    public KfacOptimizer(IReadOnlyList<Tensor> parameters, ILoss loss, KfacOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(loss);
        if (parameters.Count == 0) throw new ArgumentException("K-FAC needs at least one parameter", nameof(parameters));
        for (int i = 0; i < parameters.Count; i++)
            if (!parameters[i].RequiresGrad || !parameters[i].IsLeaf)
                throw new ArgumentException($"parameter {i} ({parameters[i].Name ?? parameters[i].Shape.ToString()}) must be a leaf with RequiresGrad = true", nameof(parameters));
        Options = (options ?? new KfacOptions()).Validate();
        Loss = loss;
        _parameters = parameters.ToArray();
        _direction = ParameterVectors.ZerosLike(_parameters);
        _previous = ParameterVectors.ZerosLike(_parameters);
        _gradient = ParameterVectors.ZerosLike(_parameters);
        _backup = ParameterVectors.ZerosLike(_parameters);
        _rng = new RandomStream(Options.Seed);
        Lambda = Options.InitialLambda;
        Gamma = Options.StartGamma;
    }

    /// <summary>The validated settings.</summary>
    public KfacOptions Options { get; }

    /// <summary>The loss whose predictive distribution defines the Fisher (sampled targets, output Fisher products).</summary>
    public ILoss Loss { get; }

    /// <summary>The optimized parameters, in the order given.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>The curvature blocks (created on the first step from the layers the forward pass records).</summary>
    public IReadOnlyList<CurvatureBlock> Blocks => _blocks ?? [];

    /// <summary>Levenberg-Marquardt damping of the quadratic model.</summary>
    public double Lambda { get; private set; }

    /// <summary>Per-factor damping strength of the preconditioner (section 6.6).</summary>
    public double Gamma { get; private set; }

    /// <summary>Where the steps' time went, by phase (cumulative; <see cref="KfacTimings.Reset"/> to restart).</summary>
    public KfacTimings Timings { get; } = new();

    /// <summary>Completed steps (k).</summary>
    public int Iteration { get; private set; }

    /// <summary>Steps rejected so far (each one left or put the weights back as they were before it and raised lambda).</summary>
    public long Rejections { get; private set; }

    /// <summary>Steps whose implausible quadratic-model step was shortened instead of rejected
    /// (<see cref="ImplausibleStepRule.Shrink"/>) since this optimizer was created (not part of its state).</summary>
    public long ShrunkSteps { get; private set; }

    /// <summary>The plan the last step followed (null before the first step): what it did and why, see <see cref="KfacStepPlan"/>.</summary>
    public KfacStepPlan? LastPlan { get; private set; }

    /// <summary>
    /// One K-FAC iteration on the mini-batch (inputs, targets): statistics, inverse refresh, gamma and lambda
    /// adaptation on their schedules (<see cref="KfacStepPlan"/>), and the update. Run it inside a TensorScope so
    /// temporaries are pooled. Never leaves non-finite weights: a non-finite loss or update rejects the step and
    /// raises lambda.
    /// </summary>
    public KfacStepResult Step(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank < 1 || targets.Rank < 1 || inputs.Shape[0] != targets.Shape[0])
            throw new ShapeMismatchException($"KfacOptimizer.Step: inputs {inputs.Shape} and targets {targets.Shape} must have the same batch size", nameof(targets));
        var plan = KfacStepPlan.For(Iteration + 1, Options, ScheduleState(), inputs.Shape[0]);
        LastPlan = plan;
        _currentStep = plan.Step;
        var batch = new MiniBatch(forward, inputs, targets);
        // Before the parameters are held: h on this batch at the weights before the last update, if that update waits
        // for this batch to judge it.
        JudgedUpdate? judged = plan.JudgePreviousUpdate ? ObjectiveBeforeLastUpdate(batch) : null;
        // The parameters stay constant until the update: the backend may cache work derived from them (the CPU
        // backend packs each weight once as a GEMM operand for all of this step's products instead of per product).
        _parameterHold = ParameterVectors.HoldConstant(_parameters);
        try
        {
            return StepHoldingParameters(plan, batch, judged);
        }
        finally
        {
            ReleaseParameterHold();
        }
    }

    /// <summary>What the schedule depends on besides k and the options.</summary>
    private KfacScheduleState ScheduleState() =>
        new(_blocks is not null, _inversesStale, _pendingRho is not null, _pendingRefresh is null ? null : _pendingInstallStep, ReplayQuadraticModel, Gamma);

    /// <summary>Ends the step's promise that the parameters are constant (before anything writes them).</summary>
    private void ReleaseParameterHold()
    {
        _parameterHold?.Dispose();
        _parameterHold = null;
    }

    /// <summary>
    /// The iteration of Martens &amp; Grosse 2015 as <paramref name="plan"/> schedules it: the loss (and rho of the last
    /// update when it waited for this batch), the curvature statistics (section 5), the gradient of h, the inverses
    /// and gamma (sections 6.3, 6.6), the direction and its length from the quadratic model (section 7), the update,
    /// and lambda (section 6.5). Each guard rejects the step: the weights go back and the damping goes up.
    /// </summary>
    private KfacStepResult StepHoldingParameters(KfacStepPlan plan, MiniBatch batch, JudgedUpdate? judged)
    {
        var pass = ForwardPass(plan, batch);
        // The parameters are always finite (a non-finite update is never kept), so h is finite exactly when the loss is.
        if (!double.IsFinite(pass.Loss)) return Reject(pass.Loss, pass.Loss, "non-finite loss at the current parameters", rollback: true);
        var (rho, blewUp) = JudgePreviousUpdate(judged, pass, batch);
        blewUp ??= LossGrewTooMuch(pass.Loss, pass.Bound);
        if (blewUp is not null) return Reject(pass.Loss, pass.Loss, blewUp, rollback: true) with { Rho = rho };

        var statisticsGraph = StatisticsPass(plan, batch, pass.Output);
        GradientAndStatistics(plan, pass.LossTensor);
        var (objective, squaredNorm, gradientFinite) = RegularizedGradient(pass.Loss);
        if (!gradientFinite) return Reject(pass.Loss, objective, "non-finite gradient", rollback: false);

        LastPlan = plan = plan.OnceLayersKnown(Options, _inversesStale);
        var sample = QuadraticModelSample(plan, batch, pass.Output, statisticsGraph);
        QuadraticModel.Solution solution;
        try
        {
            solution = ProposeUpdate(plan, sample);
        }
        catch (LinalgException e)
        {
            // Some block's factors are beyond repair (its statistics were reset): no update this step.
            return Reject(pass.Loss, objective, "curvature inverse failed: " + e.Message, rollback: false);
        }
        var (plausible, shrunk, implausible) = Plausible(solution, objective, pass.Bound);
        if (implausible is not null) return Reject(pass.Loss, objective, implausible, rollback: false);

        var (squaredNormAfter, updateFinite) = ApplyUpdate(plausible);
        if (!updateFinite) return Reject(pass.Loss, objective, "non-finite update", rollback: false);

        var (rhoNow, blewUpNow) = JudgeUpdate(plan, batch, pass, plausible.Value, objective, squaredNorm, squaredNormAfter);
        if (plan.JudgeUpdate == LambdaJudgement.SameBatch) rho = rhoNow;
        Iteration = plan.Step;
        if (blewUpNow is not null) return Reject(pass.Loss, objective, blewUpNow, rollback: true) with { Rho = rho };
        TrackLossScale(pass.Loss, pass.Bound);
        return new KfacStepResult
        {
            Loss = pass.Loss, Objective = objective, Alpha = plausible.Alpha, Mu = plausible.Mu, ModelChange = plausible.Value,
            Rho = rho, Lambda = Lambda, Gamma = Gamma, Rejections = Rejections, Shrunk = shrunk, ShrunkSteps = ShrunkSteps,
        };
    }

    /// <summary>The first <paramref name="rows"/> rows of x (the batch is already shuffled): a view sharing x's
    /// storage (rows are contiguous from offset 0), or x itself.</summary>
    private static Tensor Rows(Tensor x, int rows) => rows == x.Shape[0] ? x : new Tensor(x.Storage, x.Shape.With(0, rows));

    private static int RowsFor(double fraction, int m) => KfacStepPlan.RowsFor(fraction, m);
}

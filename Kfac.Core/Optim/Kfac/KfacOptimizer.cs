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
/// network (given as a forward function) as many times as the algorithm needs.
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

    /// <summary>
    /// One K-FAC iteration on the mini-batch (inputs, targets): statistics, inverse refresh, gamma and lambda
    /// adaptation on their schedules, and the update. Run it inside a TensorScope so temporaries are pooled.
    /// Never leaves non-finite weights: a non-finite loss or update rejects the step and raises lambda.
    /// </summary>
    public KfacStepResult Step(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank < 1 || targets.Rank < 1 || inputs.Shape[0] != targets.Shape[0])
            throw new ShapeMismatchException($"KfacOptimizer.Step: inputs {inputs.Shape} and targets {targets.Shape} must have the same batch size", nameof(targets));
        // Before the parameters are held: h on this batch at the weights before the last update, if that update waits
        // for this batch to judge it.
        var judged = JudgeOnThisBatch(forward, inputs, targets);
        // The parameters stay constant until the update: the backend may cache work derived from them (the CPU
        // backend packs each weight once as a GEMM operand for all of this step's products instead of per product).
        _parameterHold = ParameterVectors.HoldConstant(_parameters);
        try
        {
            return StepHoldingParameters(forward, inputs, targets, judged);
        }
        finally
        {
            ReleaseParameterHold();
        }
    }

    /// <summary>Ends the step's promise that the parameters are constant (before anything writes them).</summary>
    private void ReleaseParameterHold()
    {
        _parameterHold?.Dispose();
        _parameterHold = null;
    }

    private KfacStepResult StepHoldingParameters(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets, (PendingRho Update, double ObjectiveBefore)? judged)
    {
        var o = Options;
        int k = Iteration + 1;
        _currentStep = k;
        bool statistics = (k - 1) % o.StatisticsInterval == 0 || _inversesStale; // a reset block needs statistics first
        bool discover = _blocks is null; // the layers are learnt from the first recorded forward pass

        foreach (var p in _parameters) if (p.Grad is { } g) g.Backend.Fill(g, 0);

        // Forward on the batch; record the layers when the statistics come from this very pass.
        int m = inputs.Shape[0];
        int statisticsRows = RowsFor(o.StatisticsFraction, m);
        bool separateStatisticsPass = statistics && o.Estimation != FisherEstimation.Empirical && statisticsRows < m;
        _recorder.Clear();
        long t0 = Stopwatch.GetTimestamp();
        Tensor output;
        if ((statistics && !separateStatisticsPass) || (discover && !statistics))
            using (_recorder.Activate()) output = forward(inputs);
        else output = forward(inputs);
        if (discover && !statistics) EnsureBlocks();

        var lossTensor = Loss.Value(output, targets);
        double loss = ReduceBatchMean(lossTensor.Item());
        Timings.Add(KfacPhase.Forward, t0);
        t0 = Stopwatch.GetTimestamp();
        // The parameters are always finite (a non-finite update is never kept), so h is finite exactly when the loss is.
        if (!double.IsFinite(loss)) return Reject(loss, loss, "non-finite loss at the current parameters", rollback: true);
        double rho = double.NaN;
        if (judged is { } j)
        {
            // rho of the last update on this batch, which it was not fitted to (the weights are still theta + delta).
            double after = loss + 0.5 * o.L2 * j.Update.SquaredNormAfter;
            rho = LevenbergMarquardt.Rho(j.ObjectiveBefore, after, j.Update.ModelChange);
            Lambda = LevenbergMarquardt.Adjust(Lambda, rho, o.Omega1, o.MinLambda, o.MaxLambda);
            if (GrewTooMuch(j.ObjectiveBefore, after) is { } why) return Reject(loss, loss, why, rollback: true) with { Rho = rho };
        }
        if (LossGrewTooMuch(loss) is { } grew) return Reject(loss, loss, grew, rollback: true) with { Rho = rho };

        int quadraticRows = RowsFor(o.QuadraticModelFraction, m);
        // The quadratic model's J v replays forward mode over a graph recorded on exactly its rows when one exists.
        Tensor? quadraticGraph = quadraticRows == m ? output : null;
        if (statistics)
        {
            if (separateStatisticsPass)
            {
                var sub = Rows(inputs, statisticsRows);
                Tensor subOutput;
                using (_recorder.Activate()) subOutput = forward(sub);
                if (statisticsRows == quadraticRows) quadraticGraph = subOutput;
                BackpropagateFisherTargets(subOutput, retainGraph: false);
            }
            else if (o.Estimation != FisherEstimation.Empirical)
                BackpropagateFisherTargets(output, retainGraph: true);
            EnsureBlocks();
        }
        Timings.Add(KfacPhase.StatisticsPasses, t0);

        // The true gradient (Empirical mode captures its G statistics from this pass).
        _recorder.CapturingGradients = statistics && o.Estimation == FisherEstimation.Empirical;
        t0 = Stopwatch.GetTimestamp();
        lossTensor.Backward();
        _recorder.CapturingGradients = false;
        Timings.Add(KfacPhase.Backward, t0);
        ReduceGradients();
        t0 = Stopwatch.GetTimestamp();
        if (statistics)
        {
            UpdateStatistics();
            AfterStatisticsUpdate();
        }
        Timings.Add(KfacPhase.StatisticsUpdate, t0);

        // grad h = grad loss + eta theta, its finiteness and h = loss + (eta / 2) |theta|^2 in one pass.
        var (squaredNorm, gradientFinite) = ParameterVectors.RegularizedGradient(_parameters, o.L2, _gradient);
        double objective = loss + 0.5 * o.L2 * squaredNorm;
        if (!gradientFinite) return Reject(loss, objective, "non-finite gradient", rollback: false);

        bool refresh = Iteration == 0 || (k - 1) % o.InverseInterval == 0 || _inversesStale;
        // gamma is re-chosen at k = T2 + 1, 2 T2 + 1, ...: with T2 = T3 that is exactly when the inverses are due for
        // their refresh anyway, so the trial that keeps gamma doubles as the refresh.
        bool adaptGamma = o.GammaRule == GammaRule.Search && o.StepSize == StepSizeRule.QuadraticModel && k > 1 && (k - 1) % o.GammaInterval == 0;
        QuadraticSample? sample = null;
        if (o.StepSize == StepSizeRule.QuadraticModel)
        {
            var quadraticInputs = quadraticGraph is null ? Rows(inputs, quadraticRows) : null;
            if (quadraticGraph is null && ReplayQuadraticModel)
            {
                // No pass on exactly the model's rows this step (statistics skipped or on other rows): record one, so
                // the products with Delta and delta0 (Delta's three times in a gamma step) replay it instead of each
                // recomputing the primal.
                t0 = Stopwatch.GetTimestamp();
                quadraticGraph = forward(quadraticInputs!);
                Timings.Add(KfacPhase.QuadraticModel, t0);
            }
            sample = new QuadraticSample(forward, quadraticInputs, quadraticGraph);
        }
        QuadraticModel.Solution solution;
        try
        {
            InstallDueRefresh(k);
            if (refresh && !adaptGamma)
            {
                if (o.GammaRule == GammaRule.TiedToLambda) Gamma = o.TiedGamma(Lambda);
                // Asynchronous inverses: a scheduled refresh (not the first, not a repair) goes to the background.
                if (o.InverseStaleness > 0 && Iteration > 0 && !_inversesStale) LaunchRefresh(Gamma, k);
                else RefreshInverses(Gamma);
            }
            if (adaptGamma) solution = ChooseGamma(sample!);
            else
            {
                ComputeDirection();
                solution = ChooseStep(sample, sample is null ? null : PreviousTermsFor(sample));
            }
        }
        catch (LinalgException e)
        {
            // Some block's factors are beyond repair (its statistics were reset): no update this step.
            return Reject(loss, objective, "curvature inverse failed: " + e.Message, rollback: false);
        }
        // The model's answer is checked before anything moves: a failed 2x2 solve, or a predicted decrease larger than
        // the objective can fall (h >= the loss's lower bound), rejects the step instead of taking or skipping it.
        // With ImplausibleStepRule.Shrink a usable but overreaching solution is shortened along its ray instead.
        bool shrunk = false;
        if (o.StepSize == StepSizeRule.QuadraticModel && QuadraticModel.Implausible(solution, objective - Loss.LowerBound) is { } implausible)
        {
            if (o.ImplausibleStep != ImplausibleStepRule.Shrink
                || QuadraticModel.ShrinkToPlausible(solution, objective - Loss.LowerBound, o.PlausibleDecreaseFraction) is not { Failure: null } shorter)
                return Reject(loss, objective, implausible, rollback: false);
            solution = shorter;
            shrunk = true;
            ShrunkSteps++;
            Lambda = Math.Clamp(Lambda / o.Omega1, o.MinLambda, o.MaxLambda);
        }

        // delta = alpha Delta + mu delta0, formed in place over delta0 (which it replaces as the next step's
        // previous update; a rejection clears it anyway), theta saved to the backup and theta += delta: one fused
        // pass over the parameters, which also gives |theta|^2 for the objective after the update.
        t0 = Stopwatch.GetTimestamp();
        ReleaseParameterHold();
        double squaredNormAfter;
        bool updateFinite;
        using (GradMode.Disable())
        {
            (squaredNormAfter, updateFinite) = ParameterVectors.ApplyUpdate(solution.Alpha, _direction, solution.Mu, _previous, _parameters, _backup, o.L2 > 0);
            if (!updateFinite) ParameterVectors.Copy(_backup, _parameters); // the weights are never left corrupted
        }
        Timings.Add(KfacPhase.Update, t0);
        _lastUpdateUndone = !updateFinite;
        if (!updateFinite) return Reject(loss, objective, "non-finite update", rollback: false);

        bool judgeNow = o.AdaptLambda && o.StepSize == StepSizeRule.QuadraticModel && k % o.LambdaInterval == 0;
        if (judgeNow && o.RhoEvaluation == RhoEvaluation.NextBatch)
            _pendingRho = new PendingRho(solution.Value, squaredNorm, o.L2 > 0 ? squaredNormAfter : 0);
        else if (judgeNow)
        {
            t0 = Stopwatch.GetTimestamp();
            double after = ObjectiveAt(forward, inputs, targets, squaredNormAfter);
            Timings.Add(KfacPhase.LambdaAdaptation, t0);
            rho = LevenbergMarquardt.Rho(objective, after, solution.Value);
            Lambda = LevenbergMarquardt.Adjust(Lambda, rho, o.Omega1, o.MinLambda, o.MaxLambda);
            if (!double.IsFinite(after))
            {
                Iteration = k;
                return Reject(loss, objective, "non-finite loss after the update", rollback: true) with { Rho = rho };
            }
            if (GrewTooMuch(objective, after) is { } why)
            {
                Iteration = k;
                return Reject(loss, objective, why, rollback: true) with { Rho = rho };
            }
        }
        Iteration = k;
        TrackLossScale(loss);
        return new KfacStepResult
        {
            Loss = loss, Objective = objective, Alpha = solution.Alpha, Mu = solution.Mu, ModelChange = solution.Value,
            Rho = rho, Lambda = Lambda, Gamma = Gamma, Rejections = Rejections, Shrunk = shrunk,
        };
    }

    private static int RowsFor(double fraction, int m) => Math.Clamp((int)Math.Round(fraction * m), 1, m);

    /// <summary>The first <paramref name="rows"/> rows of x (the batch is already shuffled): a view sharing x's
    /// storage (rows are contiguous from offset 0), or x itself.</summary>
    private static Tensor Rows(Tensor x, int rows) => rows == x.Shape[0] ? x : new Tensor(x.Storage, x.Shape.With(0, rows));

    /// <summary>h at the current (updated) parameters on the batch, given their |theta|^2.</summary>
    private double ObjectiveAt(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets, double squaredNorm)
    {
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        return ReduceBatchMean(Loss.Value(forward(inputs), targets).Item()) + 0.5 * Options.L2 * squaredNorm;
    }

    private KfacStepResult Reject(double loss, double objective, string reason, bool rollback)
    {
        ReleaseParameterHold();
        if (rollback && Iteration > 0 && !_lastUpdateUndone)
        {
            using (GradMode.Disable()) ParameterVectors.Copy(_backup, _parameters);
            _lastUpdateUndone = true;
        }
        ParameterVectors.Fill(_previous, 0);
        Rejections++;
        Lambda = Math.Clamp(Lambda * Options.RejectionLambdaFactor, Options.MinLambda, Options.MaxLambda);
        Gamma = Options.GammaRule switch
        {
            GammaRule.TiedToLambda => Options.TiedGamma(Lambda),
            GammaRule.Search => Math.Clamp(Gamma / Options.Omega2, Options.MinGamma, Options.MaxGamma),
            GammaRule.Fixed => Gamma,
            _ => throw new InvalidOperationException($"unknown gamma rule {Options.GammaRule}"),
        };
        if (_blocks is not null && _blocks.All(b => b.UpdateCount > 0))
        {
            try
            {
                RefreshInverses(Gamma);
            }
            catch (LinalgException)
            {
                // That block's statistics were reset; the next step refreshes again.
            }
        }
        else _inversesStale = true;
        return new KfacStepResult { Loss = loss, Objective = objective, Lambda = Lambda, Gamma = Gamma, Rejected = true, RejectionReason = reason, Rejections = Rejections };
    }

    /// <summary>
    /// With <see cref="RhoEvaluation.NextBatch"/>, when the last update waits to be judged: h on this batch at the
    /// weights before that update (swapped in from the backup for one forward pass without a graph, and swapped
    /// back), and the update. Null otherwise. Runs before the step holds the parameters constant.
    /// </summary>
    private (PendingRho Update, double ObjectiveBefore)? JudgeOnThisBatch(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets)
    {
        if (_pendingRho is not { } pending) return null;
        _pendingRho = null;
        double loss;
        using (GradMode.Disable())
        {
            // Delta is recomputed before every use, so it can hold theta + delta meanwhile.
            ParameterVectors.Copy(_parameters, _direction);
            ParameterVectors.Copy(_backup, _parameters);
            try
            {
                using var scope = TensorScope.Begin();
                loss = ReduceBatchMean(Loss.Value(forward(inputs), targets).Item());
            }
            finally
            {
                ParameterVectors.Copy(_direction, _parameters);
            }
        }
        return (pending, loss + 0.5 * Options.L2 * pending.SquaredNormBefore);
    }

    /// <summary>Why going from objective <paramref name="before"/> to <paramref name="after"/> on one batch is a blow-up
    /// (their excess over the loss's lower bound grew more than <see cref="KfacOptions.LossGrowthLimit"/> times), or null.</summary>
    private string? GrewTooMuch(double before, double after)
    {
        double bound = Loss.LowerBound;
        return after - bound > Options.LossGrowthLimit * (before - bound)
            ? $"the last update raised the objective on one batch from {before:G4} to {after:G4} (more than x{Options.LossGrowthLimit}): it is undone"
            : null;
    }

    /// <summary>Why this mini-batch loss says the last update blew the loss up (null when it does not): its excess over
    /// the loss's lower bound is more than <see cref="KfacOptions.BatchLossSpikeLimit"/> times the running mean of recent
    /// accepted losses' excess (never counted below 1% of the first one, so a converged run's noise is not a blow-up).
    /// Once the last update has been undone there is nothing left to undo: the guard waits for the next update.</summary>
    private string? LossGrewTooMuch(double loss)
    {
        double bound = Loss.LowerBound;
        if (!double.IsFinite(bound) || double.IsNaN(_lossScale) || Iteration == 0 || _lastUpdateUndone) return null;
        double scale = Math.Max(_lossScale, _lossFloor);
        return loss - bound > Options.BatchLossSpikeLimit * scale
            ? $"the mini-batch loss {loss:G4} is more than {Options.BatchLossSpikeLimit} times the recent level {scale + bound:G4}: the last update is undone"
            : null;
    }

    /// <summary>Running mean (weight 0.1) of the accepted steps' loss excess over the lower bound.</summary>
    private void TrackLossScale(double loss)
    {
        double bound = Loss.LowerBound;
        if (!double.IsFinite(bound)) return;
        double excess = Math.Max(0, loss - bound);
        if (double.IsNaN(_lossScale))
        {
            _lossScale = excess;
            _lossFloor = 0.01 * excess;
        }
        else _lossScale = 0.9 * _lossScale + 0.1 * excess;
    }
}

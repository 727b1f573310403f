using System.Diagnostics;
using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Optim.Kfac;

/// <summary>
/// The phases of one K-FAC iteration (Martens &amp; Grosse 2015, sections 5-7), in the order
/// <see cref="KfacOptimizer.Step"/> runs them, each doing what the step's <see cref="KfacStepPlan"/> says.
/// </summary>
public sealed partial class KfacOptimizer
{
    /// <summary>The step's mini-batch and the network that maps its inputs to outputs.</summary>
    private readonly record struct MiniBatch(Func<Tensor, Tensor> Forward, Tensor Inputs, Tensor Targets);

    /// <summary>The main forward pass: the output, the loss tensor (for the true gradient), the batch's mean loss and
    /// the infimum of that mean over outputs for the batch's targets (<see cref="global::Kfac.Losses.ILoss.TargetLowerBound"/>), from which
    /// the guards measure how far the loss can still fall.</summary>
    private readonly record struct MainPass(Tensor Output, Tensor LossTensor, double Loss, double Bound);

    /// <summary>The last update, waiting to be judged on this batch, with h on this batch at the weights before it.</summary>
    private readonly record struct JudgedUpdate(PendingRho Update, double ObjectiveBefore);

    /// <summary>The forward pass on the batch and its loss; the layers' captures are recorded when the plan takes the
    /// statistics from this pass, or learns the layers from it.</summary>
    private MainPass ForwardPass(KfacStepPlan plan, MiniBatch batch)
    {
        foreach (var p in _parameters) p.ZeroGrad();
        _recorder.Clear();
        long t0 = Stopwatch.GetTimestamp();
        Tensor output;
        if (plan.RecordMainPass)
            using (_recorder.Activate()) output = batch.Forward(batch.Inputs);
        else output = batch.Forward(batch.Inputs);
        if (plan.DiscoverLayers && !plan.CollectsStatistics) EnsureBlocks();
        var lossTensor = Loss.Value(output, batch.Targets);
        var (loss, bound) = ReduceBatchMeans(lossTensor.Item(), Loss.TargetLowerBound(batch.Targets));
        Timings.Add(KfacPhase.Forward, t0);
        return new MainPass(output, lossTensor, loss, GuardBound(bound));
    }

    /// <summary>
    /// With <see cref="RhoEvaluation.NextBatch"/>, when the last update waits to be judged: h on this batch at the
    /// weights before that update (swapped in from the backup for one forward pass without a graph, and swapped
    /// back). Runs before the step holds the parameters constant.
    /// </summary>
    private JudgedUpdate ObjectiveBeforeLastUpdate(MiniBatch batch)
    {
        var pending = _pendingRho ?? throw new InvalidOperationException("the plan judges the last update but none is pending");
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
                int rows = RhoRows(batch);
                loss = ReduceRhoMean(Loss.Value(batch.Forward(Rows(batch.Inputs, rows)), Rows(batch.Targets, rows)).Item());
            }
            finally
            {
                ParameterVectors.Copy(_direction, _parameters);
            }
        }
        return new JudgedUpdate(pending, loss + 0.5 * Options.L2 * pending.SquaredNormBefore);
    }

    /// <summary>Section 6.5 on a batch the last update was not fitted to: rho = (h(theta + delta) - h(theta)) / M(delta)
    /// (the weights are still theta + delta, and <paramref name="pass"/> is the forward pass there) on the rho rows, and
    /// lambda adjusted; the reason to undo the update when it blew h up.</summary>
    private (double Rho, string? BlewUp) JudgePreviousUpdate(JudgedUpdate? judged, MainPass pass, MiniBatch batch)
    {
        if (judged is not { } j) return (double.NaN, null);
        double after = RhoLoss(pass, batch) + 0.5 * Options.L2 * j.Update.SquaredNormAfter;
        double rho = LevenbergMarquardt.Rho(j.ObjectiveBefore, after, j.Update.ModelChange);
        Lambda = LevenbergMarquardt.Adjust(Lambda, rho, Options.Omega1, Options.MinLambda, Options.MaxLambda);
        return (rho, GrewTooMuch(j.ObjectiveBefore, after, RhoBound(pass, batch)));
    }

    /// <summary>
    /// Section 5's extra passes for the factor statistics: Fisher targets (sampled from the model's predictive
    /// distribution) backpropagated through the main pass's graph, or a recorded forward and backward pass on the
    /// statistics rows. Returns that separate pass's output (the quadratic model may replay it), else null.
    /// </summary>
    private Tensor? StatisticsPass(KfacStepPlan plan, MiniBatch batch, Tensor output)
    {
        long t0 = Stopwatch.GetTimestamp();
        Tensor? separate = null;
        if (plan.Statistics == StatisticsSource.SeparatePass)
        {
            using (_recorder.Activate()) separate = batch.Forward(Rows(batch.Inputs, plan.StatisticsRows));
            BackpropagateFisherTargets(separate, retainGraph: false);
        }
        else if (plan.Statistics == StatisticsSource.MainPassFisherTargets)
            BackpropagateFisherTargets(output, retainGraph: true);
        if (plan.CollectsStatistics) EnsureBlocks();
        Timings.Add(KfacPhase.StatisticsPasses, t0);
        return separate;
    }

    /// <summary>The true gradient's backward pass (which captures the empirical Fisher's G statistics when planned),
    /// its reduction over ranks, and the exponential moving averages of the factors (section 5).</summary>
    private void GradientAndStatistics(KfacStepPlan plan, Tensor lossTensor)
    {
        _recorder.CapturingGradients = plan.Statistics == StatisticsSource.TrueGradientBackward;
        long t0 = Stopwatch.GetTimestamp();
        lossTensor.Backward();
        _recorder.CapturingGradients = false;
        Timings.Add(KfacPhase.Backward, t0);
        ReduceGradients();
        t0 = Stopwatch.GetTimestamp();
        if (plan.CollectsStatistics)
        {
            UpdateStatistics();
            AfterStatisticsUpdate();
        }
        Timings.Add(KfacPhase.StatisticsUpdate, t0);
    }

    /// <summary>grad h = grad loss + eta theta, its finiteness and h = loss + (eta / 2) |theta|^2 (one pass).</summary>
    private (double Objective, double SquaredNorm, bool Finite) RegularizedGradient(double loss)
    {
        var (squaredNorm, finite) = ParameterVectors.RegularizedGradient(_parameters, Options.L2, _gradient);
        return (loss + 0.5 * Options.L2 * squaredNorm, squaredNorm, finite);
    }

    /// <summary>Where the quadratic model's J v come from (<see cref="KfacStepPlan.QuadraticGraph"/>): a pass already
    /// recorded on its rows, one recorded now (so the products with Delta and delta0, Delta's three times in a gamma
    /// step, replay it instead of each recomputing the primal), or fresh passes. Null without the quadratic model.</summary>
    private QuadraticSample? QuadraticModelSample(KfacStepPlan plan, MiniBatch batch, Tensor output, Tensor? statisticsGraph)
    {
        if (plan.QuadraticGraph == QuadraticModelGraph.None) return null;
        var inputs = Rows(batch.Inputs, plan.QuadraticRows);
        Tensor? graph = plan.QuadraticGraph switch
        {
            QuadraticModelGraph.MainPass => output,
            QuadraticModelGraph.StatisticsPass => statisticsGraph ?? throw new InvalidOperationException("the plan replays a statistics pass this step did not run"),
            QuadraticModelGraph.OwnPass => RecordQuadraticPass(batch.Forward, inputs),
            _ => null,
        };
        return new QuadraticSample(batch.Forward, inputs, graph);
    }

    private Tensor RecordQuadraticPass(Func<Tensor, Tensor> forward, Tensor inputs)
    {
        long t0 = Stopwatch.GetTimestamp();
        var graph = forward(inputs);
        Timings.Add(KfacPhase.QuadraticModel, t0);
        return graph;
    }

    /// <summary>
    /// The proposal: the inverses as planned (a background refresh installed, then a synchronous or background
    /// refresh, with gamma = sqrt(lambda + eta) when tied), then Delta = -(F_hat + damping)^-1 grad h and (alpha, mu)
    /// from the quadratic model (section 7), or the gamma trials of section 6.6. A failed inverse throws
    /// LinalgException.
    /// </summary>
    private QuadraticModel.Solution ProposeUpdate(KfacStepPlan plan, QuadraticSample? sample)
    {
        if (plan.InstallBackgroundRefresh) InstallBackgroundRefresh();
        if (plan.Refresh != InverseRefresh.None)
        {
            if (plan.TieGammaToLambda) Gamma = Options.TiedGamma(Lambda);
            if (plan.Refresh == InverseRefresh.Background) LaunchRefresh(Gamma, plan.Step);
            else RefreshInverses(Gamma);
        }
        if (plan.SearchesGamma) return TryGammas(plan.GammaTrials, sample ?? throw new InvalidOperationException("gamma trials need the quadratic model"));
        ComputeDirection();
        return ChooseStep(sample, sample is null ? null : PreviousTermsFor(sample));
    }

    /// <summary>
    /// The model's answer checked before anything moves: a failed 2x2 solve, or a predicted decrease larger than the
    /// objective can fall (h &gt;= the loss's lower bound), is the reason to reject the step. With
    /// <see cref="ImplausibleStepRule.Shrink"/> a usable but overreaching solution is shortened along its ray instead
    /// (and lambda raised by 1 / omega1, as for a poor rho).
    /// </summary>
    private (QuadraticModel.Solution Solution, bool Shrunk, string? Implausible) Plausible(QuadraticModel.Solution solution, double objective, double bound)
    {
        var o = Options;
        if (o.StepSize != StepSizeRule.QuadraticModel || QuadraticModel.Implausible(solution, objective - bound) is not { } implausible)
            return (solution, false, null);
        if (o.ImplausibleStep != ImplausibleStepRule.Shrink
            || QuadraticModel.ShrinkToPlausible(solution, objective - bound, o.PlausibleDecreaseFraction) is not { Failure: null } shorter)
            return (solution, false, implausible);
        ShrunkSteps++;
        Lambda = Math.Clamp(Lambda / o.Omega1, o.MinLambda, o.MaxLambda);
        return (shorter, true, null);
    }

    /// <summary>
    /// delta = alpha Delta + mu delta0, formed in place over delta0 (which it replaces as the next step's previous
    /// update; a rejection clears it anyway), theta saved to the backup and theta += delta: one fused pass over the
    /// parameters, which also gives |theta|^2 for the objective after the update. A non-finite update is undone.
    /// </summary>
    private (double SquaredNormAfter, bool Finite) ApplyUpdate(QuadraticModel.Solution solution)
    {
        long t0 = Stopwatch.GetTimestamp();
        ReleaseParameterHold();
        double squaredNormAfter;
        bool finite;
        using (GradMode.Disable())
        {
            (squaredNormAfter, finite) = ParameterVectors.ApplyUpdate(solution.Alpha, _direction, solution.Mu, _previous, _parameters, _backup, Options.L2 > 0);
            if (!finite) ParameterVectors.Copy(_backup, _parameters); // the weights are never left corrupted
        }
        Timings.Add(KfacPhase.Update, t0);
        _lastUpdateUndone = !finite;
        return (squaredNormAfter, finite);
    }

    /// <summary>
    /// Section 6.5 for this step's update, as planned: rho on this batch now (one forward pass at the new weights)
    /// and lambda adjusted, or the update set aside to be judged on the next batch. Returns rho (NaN when not measured
    /// now) and the reason to undo the update when h became non-finite or blew up.
    /// </summary>
    private (double Rho, string? BlewUp) JudgeUpdate(KfacStepPlan plan, MiniBatch batch, MainPass pass, double modelChange, double objective, double squaredNorm, double squaredNormAfter)
    {
        switch (plan.JudgeUpdate)
        {
            case LambdaJudgement.NextBatch:
                _pendingRho = new PendingRho(modelChange, squaredNorm, Options.L2 > 0 ? squaredNormAfter : 0);
                return (double.NaN, null);
            case LambdaJudgement.SameBatch:
                long t0 = Stopwatch.GetTimestamp();
                // h(theta) on the rho rows, from the main pass (its loss, or its output rows: no forward pass); on the
                // whole batch this is the step's objective, bit for bit.
                double before = RhoLoss(pass, batch) + 0.5 * Options.L2 * squaredNorm;
                double after = ObjectiveAt(batch, squaredNormAfter);
                Timings.Add(KfacPhase.LambdaAdaptation, t0);
                double rho = LevenbergMarquardt.Rho(before, after, modelChange);
                Lambda = LevenbergMarquardt.Adjust(Lambda, rho, Options.Omega1, Options.MinLambda, Options.MaxLambda);
                return (rho, double.IsFinite(after) ? GrewTooMuch(before, after, RhoBound(pass, batch)) : "non-finite loss after the update");
            default:
                return (double.NaN, null);
        }
    }

    /// <summary>h at the current (updated) parameters on the rho rows of the batch, given their |theta|^2.</summary>
    private double ObjectiveAt(MiniBatch batch, double squaredNorm)
    {
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        int rows = RhoRows(batch);
        return ReduceRhoMean(Loss.Value(batch.Forward(Rows(batch.Inputs, rows)), Rows(batch.Targets, rows)).Item()) + 0.5 * Options.L2 * squaredNorm;
    }

    /// <summary>Rows of this rank's batch on which rho is measured (<see cref="KfacOptions.RhoFraction"/>; the first
    /// ones, as the quadratic model takes its rows).</summary>
    private int RhoRows(MiniBatch batch) => RowsFor(Options.RhoFraction, batch.Inputs.Shape[0]);

    /// <summary>The infimum of the mean loss over the rho rows for their targets: the batch's when they are the whole
    /// batch.</summary>
    private double RhoBound(MainPass pass, MiniBatch batch)
    {
        int rows = RhoRows(batch);
        return rows == batch.Inputs.Shape[0] ? pass.Bound : GuardBound(ReduceRhoMean(Loss.TargetLowerBound(Rows(batch.Targets, rows))));
    }

    /// <summary>The mean loss over the rho rows of a forward pass already made on the batch: the pass's own loss when
    /// they are the whole batch, else the loss of its first output rows (no graph is recorded).</summary>
    private double RhoLoss(MainPass pass, MiniBatch batch)
    {
        int rows = RhoRows(batch);
        if (rows == batch.Inputs.Shape[0]) return pass.Loss;
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        return ReduceRhoMean(Loss.Value(Rows(pass.Output, rows), Rows(batch.Targets, rows)).Item());
    }
}

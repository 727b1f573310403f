using Kfac.Curvature;

namespace Kfac.Optim.Kfac;

/// <summary>Where a step's curvature statistics come from (section 5: the factors A = E[a a^T] and G = E[g g^T]).</summary>
public enum StatisticsSource
{
    /// <summary>No statistics this step (k - 1 is not a multiple of T_stats and the inverses are sound).</summary>
    None,
    /// <summary>Targets sampled from the model's predictive distribution (or exact square-root columns) are
    /// backpropagated through the main forward pass's graph, which is kept for the true gradient.</summary>
    MainPassFisherTargets,
    /// <summary>A forward and backward pass of Fisher targets on the batch's first <see cref="KfacStepPlan.StatisticsRows"/>
    /// rows (the paper's statistics subset, section 5).</summary>
    SeparatePass,
    /// <summary>The empirical Fisher: the G statistics are captured from the true gradient's own backward pass.</summary>
    TrueGradientBackward,
}

/// <summary>What a step does with the damped inverses before it preconditions the gradient.</summary>
public enum InverseRefresh
{
    /// <summary>The inverses in use are kept.</summary>
    None,
    /// <summary>Recomputed now from this step's statistics (and damping gamma).</summary>
    Synchronous,
    /// <summary>Recomputed in the background from this step's statistics and installed at the start of step
    /// k + S (<see cref="KfacOptions.InverseStaleness"/>); this step keeps the inverses in use.</summary>
    Background,
}

/// <summary>Where the quadratic model's Jacobian-vector products J v come from (section 7).</summary>
public enum QuadraticModelGraph
{
    /// <summary>No quadratic model: the step size is a first-order rule.</summary>
    None,
    /// <summary>Forward mode replayed over the main pass (the model uses every row).</summary>
    MainPass,
    /// <summary>Forward mode replayed over the separate statistics pass (the same rows).</summary>
    StatisticsPass,
    /// <summary>Forward mode replayed over a pass recorded for the model's rows alone.</summary>
    OwnPass,
    /// <summary>A fresh forward-mode pass per product (some op has no replay rule).</summary>
    FreshPasses,
}

/// <summary>When the Levenberg-Marquardt rule judges this step's update (section 6.5).</summary>
public enum LambdaJudgement
{
    /// <summary>Not this step (k is not a multiple of T1, lambda is fixed or there is no quadratic model).</summary>
    None,
    /// <summary>rho on this batch right after the update (the paper's rule).</summary>
    SameBatch,
    /// <summary>rho on the next step's batch, before that step does anything else (<see cref="RhoEvaluation.NextBatch"/>).</summary>
    NextBatch,
}

/// <summary>
/// What the schedule depends on besides the step index and the options: whether the layers are known, whether the
/// inverses need repair (a failed refresh or a rejection before every block had statistics), whether the last
/// update waits to be judged on this batch, the step at which a background refresh is due, whether forward-mode
/// replay is still on, and the current gamma (the centre of the gamma trials).
/// </summary>
public readonly record struct KfacScheduleState(
    bool LayersKnown,
    bool InversesStale,
    bool UpdateAwaitsJudgement,
    int? BackgroundRefreshDueAt,
    bool ReplayQuadraticModel,
    double Gamma);

/// <summary>
/// What K-FAC step k does (Martens &amp; Grosse 2015, sections 5-7; Ba, Grosse &amp; Martens 2017, section 5), decided
/// before it starts by <see cref="For"/>, a pure function of k, the options, the schedule state and the batch's row
/// count. <see cref="KfacOptimizer"/> executes it phase by phase, on one process and on every rank alike.
/// The schedule (T_stats = StatisticsInterval, T1 = LambdaInterval, T2 = GammaInterval, T3 = InverseInterval,
/// S = InverseStaleness):
/// <list type="bullet">
/// <item>statistics at k = 1, 1 + T_stats, 1 + 2 T_stats, ..., and at every step while the inverses need repair;</item>
/// <item>the inverses refreshed at k = 1, 1 + T3, ..., and while they need repair; with S &gt; 0 a scheduled
/// refresh after the first (not a repair) runs in the background and is installed at the start of step k + S;</item>
/// <item>with <see cref="GammaRule.Search"/> and the quadratic model, gamma trials {omega2 gamma, gamma / omega2,
/// gamma} at k = 1 + T2, 1 + 2 T2, ... (each trial refreshes, so they replace that step's refresh); with
/// <see cref="GammaRule.TiedToLambda"/> gamma = sqrt(lambda + eta) at each refresh;</item>
/// <item>lambda judged (rho) at k = T1, 2 T1, ..., on the same batch or on the next step's batch.</item>
/// </list>
/// </summary>
public readonly record struct KfacStepPlan
{
    /// <summary>k, the step's index (1-based; a rejected step that did not update is retried with the same k).</summary>
    public required int Step { get; init; }

    /// <summary>Rho of the last update on this batch first (it waited for a batch it was not fitted to).</summary>
    public required bool JudgePreviousUpdate { get; init; }

    /// <summary>The main forward pass records the layers' captures (statistics from it, or the first step's discovery).</summary>
    public required bool RecordMainPass { get; init; }

    /// <summary>The layers are learnt from this step's recorded pass (the first step).</summary>
    public required bool DiscoverLayers { get; init; }

    /// <summary>Where the statistics come from (<see cref="StatisticsSource.None"/>: no statistics this step).</summary>
    public required StatisticsSource Statistics { get; init; }

    /// <summary>The rows the statistics use (the batch's leading rows; all of them for the main pass).</summary>
    public required int StatisticsRows { get; init; }

    /// <summary>A background refresh launched S steps ago is installed at the start of this step's preconditioning.</summary>
    public required bool InstallBackgroundRefresh { get; init; }

    /// <summary>What happens to the inverses (besides the gamma trials, which refresh for each candidate).</summary>
    public required InverseRefresh Refresh { get; init; }

    /// <summary>gamma = sqrt(lambda + eta) is set before this step's refresh (<see cref="GammaRule.TiedToLambda"/>).</summary>
    public required bool TieGammaToLambda { get; init; }

    /// <summary>The gammas tried this step, current last (section 6.6), or empty.</summary>
    public required IReadOnlyList<double> GammaTrials { get; init; }

    /// <summary>The rows of the quadratic model's Fisher products (0 without the quadratic model).</summary>
    public required int QuadraticRows { get; init; }

    /// <summary>Where the quadratic model's J v come from.</summary>
    public required QuadraticModelGraph QuadraticGraph { get; init; }

    /// <summary>When this step's update is judged by the Levenberg-Marquardt rule.</summary>
    public required LambdaJudgement JudgeUpdate { get; init; }

    /// <summary>Whether this step folds new statistics into the factors.</summary>
    public bool CollectsStatistics => Statistics != StatisticsSource.None;

    /// <summary>Whether this step runs the section-6.6 gamma trials.</summary>
    public bool SearchesGamma => GammaTrials is { Count: > 0 };

    /// <summary>The plan of step <paramref name="k"/> on a batch of <paramref name="batchRows"/> rows (this rank's shard
    /// when distributed).</summary>
    public static KfacStepPlan For(int k, KfacOptions options, KfacScheduleState state, int batchRows)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "the step index k starts at 1");
        if (batchRows < 1) throw new ArgumentOutOfRangeException(nameof(batchRows), batchRows, "a batch has at least one row");
        var o = options;
        bool quadraticModel = o.StepSize == StepSizeRule.QuadraticModel;

        // Statistics every T_stats steps from k = 1; a block whose statistics were reset needs them before its refresh.
        bool statistics = (k - 1) % o.StatisticsInterval == 0 || state.InversesStale;
        int statisticsRows = RowsFor(o.StatisticsFraction, batchRows);
        var source = !statistics ? StatisticsSource.None
            : o.Estimation == FisherEstimation.Empirical ? StatisticsSource.TrueGradientBackward
            : statisticsRows < batchRows ? StatisticsSource.SeparatePass
            : StatisticsSource.MainPassFisherTargets;
        bool statisticsFromMainPass = source is StatisticsSource.MainPassFisherTargets or StatisticsSource.TrueGradientBackward;

        // Gamma trials every T2 steps from k = 1 + T2 (each trial refreshes the inverses with its gamma).
        bool gammaTrials = o.GammaRule == GammaRule.Search && quadraticModel && k > 1 && (k - 1) % o.GammaInterval == 0;
        var plan = new KfacStepPlan
        {
            Step = k,
            JudgePreviousUpdate = state.UpdateAwaitsJudgement,
            RecordMainPass = statisticsFromMainPass || (!state.LayersKnown && !statistics),
            DiscoverLayers = !state.LayersKnown,
            Statistics = source,
            StatisticsRows = statisticsFromMainPass ? batchRows : statistics ? statisticsRows : 0,
            InstallBackgroundRefresh = state.BackgroundRefreshDueAt is { } due && k >= due,
            Refresh = InverseRefresh.None,
            TieGammaToLambda = false,
            GammaTrials = gammaTrials ? GammaCandidates(state.Gamma, o) : [],
            QuadraticRows = quadraticModel ? RowsFor(o.QuadraticModelFraction, batchRows) : 0,
            QuadraticGraph = QuadraticModelGraph.None,
            JudgeUpdate = !(o.AdaptLambda && quadraticModel && k % o.LambdaInterval == 0) ? LambdaJudgement.None
                : o.RhoEvaluation == RhoEvaluation.NextBatch ? LambdaJudgement.NextBatch : LambdaJudgement.SameBatch,
        };
        plan = plan with { QuadraticGraph = GraphFor(plan, batchRows, state.ReplayQuadraticModel) };
        return plan.WithRefresh(o, state.InversesStale);
    }

    /// <summary>
    /// The plan once the layers are known: importing a checkpoint into blocks created this step can leave a block
    /// with statistics but no inverse (one written by a rank that did not hold it), which then needs a synchronous
    /// refresh this very step. The statistics decision is already executed and stays.
    /// </summary>
    public KfacStepPlan OnceLayersKnown(KfacOptions options, bool inversesStale) =>
        inversesStale && DiscoverLayers ? WithRefresh(options, inversesStale: true) : this;

    /// <summary>The refresh due at this step: every T3 steps from k = 1 and while the inverses need repair, unless the
    /// gamma trials refresh anyway; in the background when S &gt; 0, except the first refresh and a repair.</summary>
    private KfacStepPlan WithRefresh(KfacOptions o, bool inversesStale)
    {
        bool due = (Step - 1) % o.InverseInterval == 0 || inversesStale;
        var refresh = !due || SearchesGamma ? InverseRefresh.None
            : o.InverseStaleness > 0 && Step > 1 && !inversesStale ? InverseRefresh.Background
            : InverseRefresh.Synchronous;
        return this with { Refresh = refresh, TieGammaToLambda = refresh != InverseRefresh.None && o.GammaRule == GammaRule.TiedToLambda };
    }

    /// <summary>A recorded pass on exactly the model's rows is replayed (the main pass, or the statistics subset when
    /// it has as many rows); otherwise one is recorded for it, or fresh passes when replay is off.</summary>
    private static QuadraticModelGraph GraphFor(KfacStepPlan plan, int batchRows, bool replay) =>
        plan.QuadraticRows == 0 ? QuadraticModelGraph.None
        : plan.QuadraticRows == batchRows ? QuadraticModelGraph.MainPass
        : plan.Statistics == StatisticsSource.SeparatePass && plan.StatisticsRows == plan.QuadraticRows ? QuadraticModelGraph.StatisticsPass
        : replay ? QuadraticModelGraph.OwnPass
        : QuadraticModelGraph.FreshPasses;

    /// <summary>Section 6.6's candidates {omega2 gamma, gamma / omega2, gamma}, clamped to [MinGamma, MaxGamma]; the
    /// current gamma last, so that keeping it needs no recomputation.</summary>
    public static double[] GammaCandidates(double gamma, KfacOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        double w = o.Omega2;
        return [Math.Clamp(gamma * w, o.MinGamma, o.MaxGamma), Math.Clamp(gamma / w, o.MinGamma, o.MaxGamma), gamma];
    }

    /// <summary>round(fraction m) rows, at least 1 and at most m.</summary>
    public static int RowsFor(double fraction, int m) => Math.Clamp((int)Math.Round(fraction * m), 1, m);

    /// <summary>A compact one-line account of the plan (for logs and test messages).</summary>
    public override string ToString() =>
        $"k={Step}{(JudgePreviousUpdate ? " judge-previous" : "")} stats={Statistics}/{StatisticsRows}{(RecordMainPass ? " record-main" : "")}" +
        $"{(DiscoverLayers ? " discover" : "")}{(InstallBackgroundRefresh ? " install" : "")} refresh={Refresh}{(TieGammaToLambda ? " tie" : "")}" +
        $"{(SearchesGamma ? " trials=[" + string.Join(", ", GammaTrials.Select(g => g.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))) + "]" : "")}" +
        $" quad={QuadraticGraph}/{QuadraticRows} judge={JudgeUpdate}";
}

using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

/// <summary>
/// The schedule of K-FAC's iteration (<see cref="KfacStepPlan"/>) against tables written from the paper (Martens &amp;
/// Grosse 2015: statistics every T_stats steps, inverses every T3, gamma trials every T2 from k = T2 + 1, lambda every
/// T1; Ba et al. 2017: background inverses installed S steps later), its repairs, its rows, and the optimizer
/// following it step by step.
/// </summary>
public class KfacStepPlanTests
{
    /// <summary>The schedule state a run of plans leads to when nothing is rejected: the layers are known after the first
    /// step, a background refresh is pending until it is installed or superseded by a synchronous one (the gamma trials
    /// refresh synchronously), and an update judged on the next batch waits for it.</summary>
    private static List<KfacStepPlan> Simulate(KfacOptions options, int steps, int batchRows = 16)
    {
        var plans = new List<KfacStepPlan>();
        var state = new KfacScheduleState(false, false, false, null, true, options.StartGamma);
        for (int k = 1; k <= steps; k++)
        {
            var plan = KfacStepPlan.For(k, options, state, batchRows);
            plans.Add(plan);
            int? due = state.BackgroundRefreshDueAt;
            if (plan.InstallBackgroundRefresh || plan.Refresh == InverseRefresh.Synchronous || plan.SearchesGamma) due = null;
            if (plan.Refresh == InverseRefresh.Background) due = k + options.InverseStaleness;
            state = state with { LayersKnown = true, BackgroundRefreshDueAt = due, UpdateAwaitsJudgement = plan.JudgeUpdate == LambdaJudgement.NextBatch };
        }
        return plans;
    }

    /// <summary>"k stats refresh [T] [I] judge": S/- statistics, S/B/- synchronous / background / no refresh, T gamma trials,
    /// I a background refresh installed, judge s (same batch) / n (next batch) / -.</summary>
    private static string Row(KfacStepPlan p) =>
        $"{p.Step} {(p.CollectsStatistics ? "S" : "-")} {p.Refresh switch { InverseRefresh.Synchronous => "S", InverseRefresh.Background => "B", _ => "-" }}"
        + $"{(p.SearchesGamma ? " T" : "")}{(p.InstallBackgroundRefresh ? " I" : "")} {p.JudgeUpdate switch { LambdaJudgement.SameBatch => "s", LambdaJudgement.NextBatch => "n", _ => "-" }}";

    [Test]
    public void TheDefaultsRefreshEveryTwentyStepsAndJudgeEveryFifth()
    {
        // Paper defaults: T_stats 1, T3 20, T1 5, gamma tied to lambda (no trials), synchronous inverses.
        var rows = Simulate(new KfacOptions(), 41).Select(Row).ToList();
        string[] expected =
        [
            "1 S S -", "2 S - -", "3 S - -", "4 S - -", "5 S - s", "6 S - -", "7 S - -", "8 S - -", "9 S - -", "10 S - s",
            "11 S - -", "12 S - -", "13 S - -", "14 S - -", "15 S - s", "16 S - -", "17 S - -", "18 S - -", "19 S - -", "20 S - s",
            "21 S S -", "22 S - -", "23 S - -", "24 S - -", "25 S - s", "26 S - -", "27 S - -", "28 S - -", "29 S - -", "30 S - s",
            "31 S - -", "32 S - -", "33 S - -", "34 S - -", "35 S - s", "36 S - -", "37 S - -", "38 S - -", "39 S - -", "40 S - s",
            "41 S S -",
        ];
        Assert.That(rows, Is.EqualTo(expected));
    }

    [Test]
    public void AMixedScheduleMatchesTheHandWrittenTable()
    {
        // T_stats 2, T3 4, T1 3, T2 6 with the section-6.6 search, S = 1. Written by hand from the rules:
        // statistics at k = 1, 3, 5, ...; refresh at k = 1 (synchronous: the first), 5, 9 (background, installed at 6, 10),
        // k = 13 is both a refresh and a trial step (trials at 7, 13, 19, ...: they replace the refresh); lambda at 3, 6, 9, ...
        var options = new KfacOptions { StatisticsInterval = 2, InverseInterval = 4, LambdaInterval = 3, GammaInterval = 6, GammaRule = GammaRule.Search, InverseStaleness = 1 };
        string[] expected =
        [
            "1 S S -", "2 - - -", "3 S - s", "4 - - -", "5 S B -", "6 - - I s", "7 S - T -", "8 - - -", "9 S B s", "10 - - I -",
            "11 S - -", "12 - - s", "13 S - T -", "14 - - -", "15 S - s", "16 - - -", "17 S B -", "18 - - I s", "19 S - T -",
        ];
        Assert.That(Simulate(options, 19).Select(Row), Is.EqualTo(expected));
    }

    [Test]
    public void RhoOnTheNextBatchIsJudgedByTheStepAfter()
    {
        var options = new KfacOptions { LambdaInterval = 2, RhoEvaluation = RhoEvaluation.NextBatch, InverseInterval = 3, InverseStaleness = 2 };
        string[] expected = ["1 S S -", "2 S - n", "3 S - -", "4 S B n", "5 S - -", "6 S - I n", "7 S B -", "8 S - n", "9 S - I -"];
        var plans = Simulate(options, 9);
        Assert.That(plans.Select(Row), Is.EqualTo(expected));
        Assert.That(plans.Select(p => p.JudgePreviousUpdate), Is.EqualTo(new[] { false, false, true, false, true, false, true, false, true }));
    }

    public static IEnumerable<KfacOptions> Grid()
    {
        foreach (int ts in new[] { 1, 2, 3 })
        foreach (int t3 in new[] { 1, 3, 5 })
        foreach (int t1 in new[] { 1, 4 })
        foreach (int t2 in new[] { 1, 4 })
        foreach (var rule in Enum.GetValues<GammaRule>())
        foreach (int s in new[] { 0, 1, 2 })
        foreach (var rho in Enum.GetValues<RhoEvaluation>())
        foreach (double fraction in new[] { 1, 0.25 })
        {
            if (s > 0 && s >= t3) continue;
            yield return new KfacOptions
            {
                StatisticsInterval = ts, InverseInterval = t3, LambdaInterval = t1, GammaInterval = t2, GammaRule = rule,
                InverseStaleness = s, RhoEvaluation = rho, StatisticsFraction = fraction, QuadraticModelFraction = fraction == 1 ? 0.5 : 0.25,
            };
        }
    }

    [Test]
    public void EveryOptionSetFollowsThePapersRules()
    {
        int checkedSets = 0;
        foreach (var o in Grid())
        {
            var plans = Simulate(o, 40);
            for (int k = 1; k <= plans.Count; k++)
            {
                var p = plans[k - 1];
                string at = $"{o.StatisticsInterval}/{o.InverseInterval}/{o.LambdaInterval}/{o.GammaInterval} {o.GammaRule} S={o.InverseStaleness} {o.RhoEvaluation} f={o.StatisticsFraction}: {p}";
                bool trials = o.GammaRule == GammaRule.Search && k > 1 && (k - 1) % o.GammaInterval == 0;
                bool refreshDue = (k - 1) % o.InverseInterval == 0;
                Assert.That(p.Step, Is.EqualTo(k), at);
                Assert.That(p.CollectsStatistics, Is.EqualTo((k - 1) % o.StatisticsInterval == 0), at);
                Assert.That(p.SearchesGamma, Is.EqualTo(trials), at);
                Assert.That(p.Refresh, Is.EqualTo(!refreshDue || trials ? InverseRefresh.None
                    : k == 1 || o.InverseStaleness == 0 ? InverseRefresh.Synchronous : InverseRefresh.Background), at);
                Assert.That(p.TieGammaToLambda, Is.EqualTo(o.GammaRule == GammaRule.TiedToLambda && p.Refresh != InverseRefresh.None), at);
                Assert.That(p.JudgeUpdate, Is.EqualTo(k % o.LambdaInterval != 0 ? LambdaJudgement.None
                    : o.RhoEvaluation == RhoEvaluation.SameBatch ? LambdaJudgement.SameBatch : LambdaJudgement.NextBatch), at);
                Assert.That(p.JudgePreviousUpdate, Is.EqualTo(o.RhoEvaluation == RhoEvaluation.NextBatch && k > 1 && (k - 1) % o.LambdaInterval == 0), at);
                Assert.That(p.DiscoverLayers, Is.EqualTo(k == 1), at);
                Assert.That(p.Statistics, Is.EqualTo(!p.CollectsStatistics ? StatisticsSource.None
                    : o.StatisticsFraction < 1 ? StatisticsSource.SeparatePass : StatisticsSource.MainPassFisherTargets), at);
                Assert.That(p.RecordMainPass, Is.EqualTo(p.Statistics == StatisticsSource.MainPassFisherTargets || (k == 1 && !p.CollectsStatistics)), at);
            }
            checkedSets++;
        }
        Assert.That(checkedSets, Is.GreaterThan(500));
    }

    [Test]
    public void BackgroundInversesAreNeverMoreThanSStepsBehindTheSynchronousSchedule()
    {
        foreach (var o in Grid().Where(o => o.InverseStaleness > 0))
        {
            int s = o.InverseStaleness;
            var asynchronous = SourceSteps(Simulate(o, 60));
            var synchronous = SourceSteps(Simulate(o with { InverseStaleness = 0 }, 60));
            for (int k = 1; k <= 60; k++)
            {
                string at = $"T3 {o.InverseInterval} S {s} T2 {o.GammaInterval} {o.GammaRule}: step {k}";
                // The inverses used at step k are never fresher than the synchronous schedule's at k, and at least as fresh
                // as its inverses S steps earlier; so never older than T3 - 1 + S steps.
                Assert.That(asynchronous[k - 1], Is.LessThanOrEqualTo(synchronous[k - 1]), at);
                Assert.That(asynchronous[k - 1], Is.GreaterThanOrEqualTo(synchronous[Math.Max(k - s, 1) - 1]), at);
                Assert.That(k - asynchronous[k - 1], Is.LessThanOrEqualTo(o.InverseInterval - 1 + s), at);
            }
        }
    }

    /// <summary>The step whose statistics the inverses used at each step come from, executing the plans' refreshes.</summary>
    private static int[] SourceSteps(List<KfacStepPlan> plans)
    {
        var source = new int[plans.Count];
        int current = 0, launched = 0;
        foreach (var p in plans)
        {
            if (p.InstallBackgroundRefresh) current = launched;
            if (p.Refresh == InverseRefresh.Synchronous || p.SearchesGamma) current = p.Step;
            if (p.Refresh == InverseRefresh.Background) launched = p.Step;
            source[p.Step - 1] = current;
        }
        return source;
    }

    [Test]
    public void InversesInNeedOfRepairGetStatisticsAndASynchronousRefreshAtOnce()
    {
        var o = new KfacOptions { StatisticsInterval = 3, InverseInterval = 5, InverseStaleness = 2 };
        var stale = new KfacScheduleState(true, true, false, null, true, 1);
        // k = 6 is a scheduled (background) refresh, k = 8 is not even a statistics step: a repair is synchronous at both.
        foreach (int k in new[] { 6, 8 })
        {
            var p = KfacStepPlan.For(k, o, stale, 16);
            Assert.That(p.CollectsStatistics, Is.True, $"k {k}");
            Assert.That(p.Refresh, Is.EqualTo(InverseRefresh.Synchronous), $"k {k}");
        }
        var sound = stale with { InversesStale = false };
        Assert.That(KfacStepPlan.For(6, o, sound, 16).Refresh, Is.EqualTo(InverseRefresh.Background));
        Assert.That(KfacStepPlan.For(8, o, sound, 16).Refresh, Is.EqualTo(InverseRefresh.None));
        Assert.That(KfacStepPlan.For(8, o, sound, 16).CollectsStatistics, Is.False);
        // Gamma trials refresh for every candidate: a repair on a trial step needs nothing more.
        var search = new KfacOptions { GammaRule = GammaRule.Search, GammaInterval = 7 };
        var trial = KfacStepPlan.For(8, search, stale, 16);
        Assert.That((trial.SearchesGamma, trial.Refresh), Is.EqualTo((true, InverseRefresh.None)));
    }

    [Test]
    public void ACheckpointImportedIntoNewBlocksThatLackAnInverseIsRefreshedTheStepItIsFound()
    {
        var o = new KfacOptions { StatisticsInterval = 2, InverseInterval = 10, InverseStaleness = 3 };
        var resumed = new KfacScheduleState(false, false, false, null, true, 1);
        var plan = KfacStepPlan.For(8, o, resumed, 16); // resumed after 7 steps: no statistics, no refresh due
        Assert.That((plan.CollectsStatistics, plan.Refresh, plan.RecordMainPass), Is.EqualTo((false, InverseRefresh.None, true)));
        var found = plan.OnceLayersKnown(o, inversesStale: true);
        Assert.That((found.CollectsStatistics, found.Refresh), Is.EqualTo((false, InverseRefresh.Synchronous)), "the statistics decision is executed already");
        Assert.That(plan.OnceLayersKnown(o, inversesStale: false), Is.EqualTo(plan));
        var known = KfacStepPlan.For(8, o, resumed with { LayersKnown = true }, 16);
        Assert.That(known.OnceLayersKnown(o, inversesStale: true), Is.EqualTo(known), "only the step that creates the blocks imports into them");
        var tied = KfacStepPlan.For(11, o, resumed, 16).OnceLayersKnown(o, true);
        Assert.That((tied.Refresh, tied.TieGammaToLambda), Is.EqualTo((InverseRefresh.Synchronous, true)), "a due background refresh becomes a synchronous repair");
    }

    [TestCase(1.0, 1.0, true, StatisticsSource.MainPassFisherTargets, 16, QuadraticModelGraph.MainPass, 16)]
    [TestCase(0.25, 0.25, true, StatisticsSource.SeparatePass, 4, QuadraticModelGraph.StatisticsPass, 4)]
    [TestCase(0.25, 0.5, true, StatisticsSource.SeparatePass, 4, QuadraticModelGraph.OwnPass, 8)]
    [TestCase(0.25, 0.5, false, StatisticsSource.SeparatePass, 4, QuadraticModelGraph.FreshPasses, 8)]
    [TestCase(1.0, 0.25, true, StatisticsSource.MainPassFisherTargets, 16, QuadraticModelGraph.OwnPass, 4)]
    [TestCase(0.01, 0.01, true, StatisticsSource.SeparatePass, 1, QuadraticModelGraph.StatisticsPass, 1)]
    public void RowsAndPassesFollowTheFractions(double statistics, double quadratic, bool replay, StatisticsSource source, int statisticsRows, QuadraticModelGraph graph, int quadraticRows)
    {
        var o = new KfacOptions { StatisticsFraction = statistics, QuadraticModelFraction = quadratic };
        var p = KfacStepPlan.For(1, o, new KfacScheduleState(false, false, false, null, replay, 1), 16);
        Assert.That((p.Statistics, p.StatisticsRows, p.QuadraticGraph, p.QuadraticRows), Is.EqualTo((source, statisticsRows, graph, quadraticRows)));
        Assert.That(p.RecordMainPass, Is.EqualTo(source == StatisticsSource.MainPassFisherTargets));
        // Without statistics the first step's main pass still records, to learn the layers.
        var later = KfacStepPlan.For(2, o with { StatisticsInterval = 2 }, new KfacScheduleState(false, false, false, null, replay, 1), 16);
        Assert.That((later.Statistics, later.RecordMainPass, later.DiscoverLayers), Is.EqualTo((StatisticsSource.None, true, true)));
    }

    [Test]
    public void TheEmpiricalFisherTakesItsStatisticsFromTheTrueGradientOnEveryRow()
    {
        var o = new KfacOptions { Estimation = FisherEstimation.Empirical, StatisticsFraction = 0.25 };
        var p = KfacStepPlan.For(1, o, new KfacScheduleState(false, false, false, null, true, 1), 16);
        Assert.That((p.Statistics, p.StatisticsRows, p.RecordMainPass), Is.EqualTo((StatisticsSource.TrueGradientBackward, 16, true)));
    }

    [TestCase(StepSizeRule.FixedLearningRate)]
    [TestCase(StepSizeRule.KlClipping)]
    public void AFirstOrderStepSizeHasNoQuadraticModelNoTrialsAndNoLambdaJudgement(StepSizeRule rule)
    {
        var o = new KfacOptions { StepSize = rule, GammaRule = GammaRule.Search, GammaInterval = 1, LambdaInterval = 1 };
        foreach (var p in Simulate(o, 6))
            Assert.That((p.QuadraticGraph, p.QuadraticRows, p.SearchesGamma, p.JudgeUpdate), Is.EqualTo((QuadraticModelGraph.None, 0, false, LambdaJudgement.None)), p.ToString());
        Assert.That(Simulate(o with { AdaptLambda = false, StepSize = StepSizeRule.QuadraticModel }, 6).Select(p => p.JudgeUpdate), Is.All.EqualTo(LambdaJudgement.None));
    }

    [Test]
    public void TheGammaTrialsAreOmega2TimesGammaGammaOverOmega2AndGammaLastClamped()
    {
        var o = new KfacOptions { GammaRule = GammaRule.Search, GammaInterval = 20, MaxGamma = 2 };
        double w = Math.Pow(Math.Sqrt(0.95), 20);
        var p = KfacStepPlan.For(21, o, new KfacScheduleState(true, false, false, null, true, 1.5), 16);
        Assert.That(p.GammaTrials, Is.EqualTo(new[] { 1.5 * w, 2.0, 1.5 }));
        Assert.That(KfacStepPlan.For(20, o, new KfacScheduleState(true, false, false, null, true, 1.5), 16).GammaTrials, Is.Empty);
    }

    [Test]
    public void BadArgumentsAreNamed()
    {
        var state = new KfacScheduleState(true, false, false, null, true, 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KfacStepPlan.For(0, new KfacOptions(), state, 16));
        Assert.That(e!.ParamName, Is.EqualTo("k"));
        e = Assert.Throws<ArgumentOutOfRangeException>(() => KfacStepPlan.For(1, new KfacOptions(), state, 0));
        Assert.That(e!.ParamName, Is.EqualTo("batchRows"));
        Assert.Throws<ArgumentNullException>(() => KfacStepPlan.For(1, null!, state, 16));
    }

    [Test]
    public void TheOptimizerFollowsItsPlanStepByStep()
    {
        var options = new KfacOptions
        {
            InitialLambda = 5, StatisticsInterval = 2, InverseInterval = 5, InverseStaleness = 2, LambdaInterval = 3,
            GammaRule = GammaRule.Search, GammaInterval = 7, StatisticsFraction = 0.5, QuadraticModelFraction = 0.25,
        };
        var model = Mlp.Create([6, 12, 3], Activation.Tanh, seed: 2);
        var kfac = new KfacOptimizer(model.Parameters(), new SoftmaxCrossEntropy(), options);
        var rng = new Random(4);
        var plans = new List<KfacStepPlan>();
        int statisticsSteps = 0;
        for (int k = 1; k <= 30; k++)
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.RandN(new Shape(32, 6), rng);
            var t = SoftmaxOps.OneHot(Enumerable.Range(0, 32).Select(_ => rng.Next(3)).ToArray(), 3);
            int? pendingBefore = kfac.PendingRefreshStep;
            int sourceBefore = kfac.InverseSourceStep;
            long updatesBefore = kfac.Blocks.Count == 0 ? 0 : kfac.Blocks[0].UpdateCount;
            var r = kfac.Step(model.Forward, x, t);
            var p = kfac.LastPlan!.Value;
            plans.Add(p);
            string at = $"step {k}: {p}";
            Assert.That(r.Rejected, Is.False, at);
            Assert.That(p.Step, Is.EqualTo(k), at);
            Assert.That(kfac.Blocks[0].UpdateCount - updatesBefore, Is.EqualTo(p.CollectsStatistics ? 1 : 0), at + " (statistics)");
            if (p.CollectsStatistics) statisticsSteps++;
            int expectedSource = p.Refresh == InverseRefresh.Synchronous || p.SearchesGamma ? k
                : p.InstallBackgroundRefresh ? pendingBefore!.Value : sourceBefore;
            Assert.That(kfac.InverseSourceStep, Is.EqualTo(expectedSource), at + " (inverses)");
            bool supersedes = p.InstallBackgroundRefresh || p.SearchesGamma || p.Refresh == InverseRefresh.Synchronous;
            Assert.That(kfac.PendingRefreshStep, Is.EqualTo(p.Refresh == InverseRefresh.Background ? k : supersedes ? null : pendingBefore), at + " (background)");
            Assert.That(double.IsNaN(r.Rho), Is.EqualTo(p.JudgeUpdate != LambdaJudgement.SameBatch), at + " (rho)");
            if (p.SearchesGamma) Assert.That(p.GammaTrials, Does.Contain(kfac.Gamma), at + " (gamma)");
        }
        // The plans the optimizer followed are the ones the pure schedule gives for its options.
        Assert.That(plans.Select(Row), Is.EqualTo(Simulate(options, 30, 32).Select(Row)));
        Assert.That(statisticsSteps, Is.EqualTo(15));
        Assert.That(kfac.Blocks[0].UpdateCount, Is.EqualTo(15));
        Assert.That(plans.Count(p => p.SearchesGamma), Is.EqualTo(4)); // k = 8, 15, 22, 29
        Assert.That(plans.Count(p => p.Refresh == InverseRefresh.Background), Is.EqualTo(5)); // k = 6, 11, 16, 21, 26
    }
}

using Kfac.Curvature;

namespace Kfac.Optim.Kfac;

/// <summary>How the Fisher's blocks are coupled across layers (Martens &amp; Grosse 2015, section 4).</summary>
public enum CurvatureStructure
{
    /// <summary>One Kronecker-factored block per layer (section 4.2).</summary>
    BlockDiagonal,
    /// <summary>Block-tridiagonal inverse across consecutive dense layers (section 4.3).</summary>
    BlockTridiagonal,
}

/// <summary>How the preconditioner's damping gamma (the factored Tikhonov strength, section 6.3) is set.</summary>
public enum GammaRule
{
    /// <summary>gamma = sqrt(lambda + eta) at every refresh: the factors carry the same damping as the quadratic model
    /// (kfac-jax's and TF K-FAC's choice). Lambda then shapes the direction as well as its length, so the
    /// Levenberg-Marquardt rule cannot drift it to values that no longer constrain anything.</summary>
    TiedToLambda,
    /// <summary>Section 6.6: every T2 steps try {omega2 gamma, gamma, gamma / omega2} and keep the lowest M(delta).</summary>
    Search,
    /// <summary>gamma stays at its initial value.</summary>
    Fixed,
}

/// <summary>Which data the Levenberg-Marquardt reduction ratio rho judges an update on.</summary>
public enum RhoEvaluation
{
    /// <summary>The next mini-batch, which the update was not fitted to: rho = (h_next(theta + delta) - h_next(theta)) /
    /// M(delta), evaluated when that batch arrives (one extra forward pass at the old weights, the same cost as the
    /// same-batch evaluation). A model fitted and judged on the same rows is judged too kindly: rho stays near 1 even
    /// when the step only helps its own batch, lambda falls to its floor, and the next low-curvature direction of a
    /// small batch's Fisher throws the weights far off (docs/kfac.md, Damping).</summary>
    NextBatch,
    /// <summary>The paper's section 6.5: the same mini-batch right after the update.</summary>
    SameBatch,
}

/// <summary>How the update's length is chosen.</summary>
public enum StepSizeRule
{
    /// <summary>alpha and mu minimise the damped quadratic model with exact Fisher-vector products (section 7).</summary>
    QuadraticModel,
    /// <summary>delta = -lr Delta + momentum * previous delta.</summary>
    FixedLearningRate,
    /// <summary>ACKTR's trust region: lr scaled so the predicted KL change is at most KlClip.</summary>
    KlClipping,
}

/// <summary>
/// K-FAC's settings (Martens &amp; Grosse 2015), validated in one place. Defaults are the paper's autoencoder
/// settings where it states them.
/// </summary>
public sealed record KfacOptions
{
    /// <summary>Initial Levenberg-Marquardt damping lambda (the paper uses 150 for the autoencoders).</summary>
    public double InitialLambda { get; init; } = 150;

    /// <summary>Lower clamp of lambda; default 1e-8.</summary>
    public double MinLambda { get; init; } = 1e-8;

    /// <summary>Upper clamp of lambda; default 1e8.</summary>
    public double MaxLambda { get; init; } = 1e8;

    /// <summary>L2 regularisation coefficient eta: h(theta) = loss + eta/2 |theta|^2 (paper: 1e-5).</summary>
    public double L2 { get; init; } = 1e-5;

    /// <summary>Initial per-factor damping gamma for the Search and Fixed rules; null means sqrt(lambda + eta) (section 6.6).</summary>
    public double? InitialGamma { get; init; }

    /// <summary>Lower clamp of gamma; default 1e-8.</summary>
    public double MinGamma { get; init; } = 1e-8;

    /// <summary>Upper clamp of gamma; default 1e8.</summary>
    public double MaxGamma { get; init; } = 1e8;

    /// <summary>Cap on the EMA weight of the old statistics: eps = min(1 - 1/k, Decay).</summary>
    public double Decay { get; init; } = 0.95;

    /// <summary>T_stats: update the factor statistics every this many steps.</summary>
    public int StatisticsInterval { get; init; } = 1;

    /// <summary>T3: recompute the damped inverses every this many steps.</summary>
    public int InverseInterval { get; init; } = 20;

    /// <summary>T1: adapt lambda by the Levenberg-Marquardt rule every this many steps.</summary>
    public int LambdaInterval { get; init; } = 5;

    /// <summary>T2: re-choose gamma among {omega2 gamma, gamma, gamma / omega2} every this many steps.</summary>
    public int GammaInterval { get; init; } = 20;

    /// <summary>Adapt lambda by the Levenberg-Marquardt rule every <see cref="LambdaInterval"/> steps; default true (false keeps <see cref="InitialLambda"/>).</summary>
    public bool AdaptLambda { get; init; } = true;

    /// <summary>Which batch rho is measured on (default: the same batch, as the paper; docs/kfac.md says why NextBatch is not the default).</summary>
    public RhoEvaluation RhoEvaluation { get; init; } = RhoEvaluation.SameBatch;

    /// <summary>How gamma follows the optimisation (default: tied to lambda; docs/kfac.md, Damping, has the measurements).</summary>
    public GammaRule GammaRule { get; init; } = GammaRule.TiedToLambda;

    /// <summary>
    /// Guard against a step that blew the loss up, where it can be measured exactly: when h is evaluated on one batch
    /// before and after an update (the Levenberg-Marquardt evaluation) and its excess over the loss's lower bound grew
    /// more than this factor, the update is undone and lambda raised. Infinity turns the guard off.
    /// </summary>
    public double LossGrowthLimit { get; init; } = 3;

    /// <summary>
    /// The same guard between batches: a mini-batch loss whose excess over the lower bound is more than this factor
    /// above the running level of recent batches (never counted below 1% of the first batch's) undoes the last update.
    /// Looser than <see cref="LossGrowthLimit"/> because batches differ: near zero loss one hard example can make a
    /// batch several times the mean. Infinity turns it off.
    /// </summary>
    public double BatchLossSpikeLimit { get; init; } = 10;

    /// <summary>Factor by which a rejected step multiplies lambda (and, unless gamma is tied to lambda, gamma by
    /// 1/omega2): a rejection is strong evidence that the damping is too weak.</summary>
    public double RejectionLambdaFactor { get; init; } = 4;

    /// <summary>What a step whose quadratic model predicts an impossible decrease does: shrink it to a plausible one
    /// (the default) or reject it (<see cref="ImplausibleStepRule"/>). Shrink since stop 43 (docs/BENCHMARKS.md,
    /// "Stop 43: an implausible step shortened, not rejected"): rejecting the first steps of the autoencoder at batch
    /// 2000-8000 raised lambda 4x per rejection and cost 25-30 steps to train error 6 (8000: 105 steps against 75);
    /// the classifier and the tabular MLPs, whose default runs met such steps, end with equal or better test accuracy
    /// (the classifier 0.8828 against 0.8710 over seeds 0-2; digits' test loss slightly higher); the ConvNet
    /// example had used Shrink since stop 14.</summary>
    public ImplausibleStepRule ImplausibleStep { get; init; } = ImplausibleStepRule.Shrink;

    /// <summary>With <see cref="ImplausibleStepRule.Shrink"/>: the fraction of the headroom h(theta) - inf h that the
    /// shortened step's model decrease is set to.</summary>
    public double PlausibleDecreaseFraction { get; init; } = 0.5;

    /// <summary>How the G statistics are estimated: sampled targets (default, the true Fisher), exact square-root columns, or the empirical Fisher.</summary>
    public FisherEstimation Estimation { get; init; } = FisherEstimation.Sampled;

    /// <summary>Block-diagonal (default) or block-tridiagonal inverse.</summary>
    public CurvatureStructure Structure { get; init; } = CurvatureStructure.BlockDiagonal;

    /// <summary>How the step size is chosen; default the quadratic model's (alpha, mu) of section 7.</summary>
    public StepSizeRule StepSize { get; init; } = StepSizeRule.QuadraticModel;

    /// <summary>Factored Tikhonov (default) or exact damping in the factors' eigenbases (block-diagonal only).</summary>
    public DampingStyle Damping { get; init; } = DampingStyle.FactoredTikhonov;

    /// <summary>Use the previous update as a second direction in the quadratic model (mu); false fixes mu = 0.</summary>
    public bool UseMomentum { get; init; } = true;

    /// <summary>
    /// The quadratic model's momentum is chosen with |mu| at most this (the model's minimiser over that band; infinity:
    /// unbounded, section 7 as written). On a subset of a few dozen rows the 2 x 2 solve returned momenta of -6 to 283,
    /// each a step of several previous updates that the model cannot resolve (docs/BENCHMARKS.md, stop 38).
    /// </summary>
    public double MomentumLimit { get; init; } = 2;

    /// <summary>Learning rate for FixedLearningRate and the maximum rate for KlClipping.</summary>
    public double LearningRate { get; init; } = 0.25;

    /// <summary>Momentum for FixedLearningRate and KlClipping.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>KL bound delta of the trust region (ACKTR uses 0.001).</summary>
    public double KlClip { get; init; } = 0.001;

    /// <summary>Fraction of the mini-batch used for the curvature statistics (the paper uses a subset; 1 = all).</summary>
    public double StatisticsFraction { get; init; } = 1;

    /// <summary>Fraction of the mini-batch used for the quadratic model's Fisher-vector products.</summary>
    public double QuadraticModelFraction { get; init; } = 1;

    /// <summary>
    /// Fraction of the mini-batch on which the reduction ratio rho of section 6.5 is measured: h(theta) and
    /// h(theta + delta) on the batch's first rows (the quadratic model's rows when the two fractions are equal), and
    /// the "loss grew too much" guard on the same rows. 1 (the default, the paper's) costs one forward pass over the
    /// whole batch every T1 steps; a fraction f costs f of it, and h(theta) comes from the main pass's output rows. M(delta)
    /// is the model of the batch objective either way, so a subset's rho is the batch's with sampling noise
    /// (docs/kfac.md, Damping, has the measurements).
    /// </summary>
    public double RhoFraction { get; init; } = 1;

    /// <summary>Seed of the generator that samples Fisher targets.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Asynchronous inverses (Ba, Grosse &amp; Martens 2017, section 5): 0 (the default) refreshes the inverses at the
    /// step they are due; S &gt; 0 computes a scheduled refresh (every T3 steps, not the gamma trials' or a rejection's)
    /// in the background from the statistics of step k0 while steps k0 .. k0 + S - 1 go on with the previous inverses,
    /// and installs it at the start of step k0 + S exactly (waiting for it if needed), so results do not depend on
    /// timing and the inverses in use are never more than S steps staler than the synchronous schedule's. Must be
    /// below <see cref="InverseInterval"/>.
    /// </summary>
    public int InverseStaleness { get; init; }

    /// <summary>
    /// The per-step factor of the Levenberg-Marquardt rule: lambda is multiplied by omega1 = LambdaDecay^T1 after a good
    /// rho and divided by it after a poor one (section 6.5). Default 19/20, the paper's value; kfac-jax exposes the same
    /// knob (damping_adaptation_decay). A smaller value lets lambda fall faster where the quadratic model stays accurate
    /// (rho near 1 for many steps, e.g. at large batches).
    /// </summary>
    public double LambdaDecay { get; init; } = 19.0 / 20.0;

    /// <summary>omega1 = LambdaDecay^T1 ((19/20)^T1 by default), the lambda adjustment factor (section 6.5).</summary>
    public double Omega1 => Math.Pow(LambdaDecay, LambdaInterval);

    /// <summary>omega2 = sqrt(19/20)^T2, the gamma adjustment factor (section 6.6).</summary>
    public double Omega2 => Math.Pow(Math.Sqrt(19.0 / 20.0), GammaInterval);

    /// <summary>The gamma of the first step: <see cref="InitialGamma"/>, or sqrt(InitialLambda + L2) when null.</summary>
    public double StartGamma => InitialGamma ?? Math.Sqrt(InitialLambda + L2);

    /// <summary>gamma tied to lambda: sqrt(lambda + eta), clamped to [MinGamma, MaxGamma].</summary>
    public double TiedGamma(double lambda) => Math.Clamp(Math.Sqrt(lambda + L2), MinGamma, MaxGamma);

    /// <summary>Throws ArgumentOutOfRangeException naming the first invalid field.</summary>
    public KfacOptions Validate()
    {
        Positive(InitialLambda, nameof(InitialLambda));
        Positive(MinLambda, nameof(MinLambda));
        if (!(MaxLambda >= MinLambda)) Fail(nameof(MaxLambda), MaxLambda, $"must be >= MinLambda ({MinLambda})");
        if (!(L2 >= 0) || double.IsInfinity(L2)) Fail(nameof(L2), L2, "must be finite and >= 0");
        if (InitialGamma is { } g) Positive(g, nameof(InitialGamma));
        if (InitialGamma is not null && GammaRule == GammaRule.TiedToLambda)
            Fail(nameof(InitialGamma), InitialGamma, "has no effect while GammaRule is TiedToLambda (gamma = sqrt(lambda + eta)); choose GammaRule.Fixed or GammaRule.Search");
        Positive(MinGamma, nameof(MinGamma));
        if (!(MaxGamma >= MinGamma)) Fail(nameof(MaxGamma), MaxGamma, $"must be >= MinGamma ({MinGamma})");
        if (!(BatchLossSpikeLimit > 1)) Fail(nameof(BatchLossSpikeLimit), BatchLossSpikeLimit, "must be above 1 (infinity turns the guard off)");
        if (!(MomentumLimit > 0)) Fail(nameof(MomentumLimit), MomentumLimit, "must be positive (infinity leaves mu unbounded)");
        if (!(LossGrowthLimit > 1)) Fail(nameof(LossGrowthLimit), LossGrowthLimit, "must be above 1 (infinity turns the guard off)");
        if (!(RejectionLambdaFactor >= 1) || double.IsInfinity(RejectionLambdaFactor)) Fail(nameof(RejectionLambdaFactor), RejectionLambdaFactor, "must be finite and >= 1");
        if (!Enum.IsDefined(ImplausibleStep)) Fail(nameof(ImplausibleStep), ImplausibleStep, "unknown implausible-step rule");
        if (!(PlausibleDecreaseFraction > 0 && PlausibleDecreaseFraction < 1)) Fail(nameof(PlausibleDecreaseFraction), PlausibleDecreaseFraction, "must be in (0, 1)");
        if (!Enum.IsDefined(RhoEvaluation)) Fail(nameof(RhoEvaluation), RhoEvaluation, "unknown rho evaluation");
        if (!Enum.IsDefined(GammaRule)) Fail(nameof(GammaRule), GammaRule, "unknown gamma rule");
        if (!(Decay >= 0 && Decay < 1)) Fail(nameof(Decay), Decay, "must be in [0, 1)");
        PositiveInt(StatisticsInterval, nameof(StatisticsInterval));
        PositiveInt(InverseInterval, nameof(InverseInterval));
        PositiveInt(LambdaInterval, nameof(LambdaInterval));
        if (!(LambdaDecay > 0 && LambdaDecay < 1)) Fail(nameof(LambdaDecay), LambdaDecay, "must be in (0, 1)");
        if (InverseStaleness < 0 || (InverseStaleness > 0 && InverseStaleness >= InverseInterval))
            Fail(nameof(InverseStaleness), InverseStaleness, $"must be 0 (synchronous) or in 1 .. InverseInterval - 1 = {InverseInterval - 1}");
        PositiveInt(GammaInterval, nameof(GammaInterval));
        Positive(LearningRate, nameof(LearningRate));
        if (!(Momentum >= 0 && Momentum < 1)) Fail(nameof(Momentum), Momentum, "must be in [0, 1)");
        Positive(KlClip, nameof(KlClip));
        if (!(StatisticsFraction > 0 && StatisticsFraction <= 1)) Fail(nameof(StatisticsFraction), StatisticsFraction, "must be in (0, 1]");
        if (!(QuadraticModelFraction > 0 && QuadraticModelFraction <= 1)) Fail(nameof(QuadraticModelFraction), QuadraticModelFraction, "must be in (0, 1]");
        if (!(RhoFraction > 0 && RhoFraction <= 1)) Fail(nameof(RhoFraction), RhoFraction, "must be in (0, 1]");
        if (!Enum.IsDefined(Estimation)) Fail(nameof(Estimation), Estimation, "unknown estimation mode");
        if (!Enum.IsDefined(Structure)) Fail(nameof(Structure), Structure, "unknown structure");
        if (!Enum.IsDefined(StepSize)) Fail(nameof(StepSize), StepSize, "unknown step-size rule");
        if (!Enum.IsDefined(Damping)) Fail(nameof(Damping), Damping, "unknown damping style");
        if (Damping == DampingStyle.Eigenbasis && Structure == CurvatureStructure.BlockTridiagonal)
            Fail(nameof(Damping), Damping, "eigenbasis damping is available for the block-diagonal structure only");
        return this;
    }

    private static void Positive(double v, string name)
    {
        if (!(v > 0) || double.IsInfinity(v)) Fail(name, v, "must be positive and finite");
    }

    private static void PositiveInt(int v, string name)
    {
        if (v <= 0) Fail(name, v, "must be at least 1");
    }

    private static void Fail(string name, object value, string why) =>
        throw new ArgumentOutOfRangeException(name, value, $"KfacOptions.{name} = {value}: {why}");
}

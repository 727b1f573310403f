using Kfac.Curvature;
using Kfac.Optim;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// ACKTR hyper-parameters (Wu et al. 2017). Defaults are openai/baselines' <c>acktr.learn</c> and its
/// <c>KfacOptimizer</c> (baselines/acktr/acktr.py, kfac.py; values as MATH.md's ACKTR section records them):
/// nsteps 20, gamma 0.99, ent_coef 0.01, vf_coef 0.5, vf_fisher_coef 1, lr 0.25 decaying linearly to 0,
/// momentum 0.9 (step lr (1 - 0.9)), stats decay 0.99, damping 0.01 added to the
/// products of the factors' eigenvalues, 10 cold updates of momentum SGD with global-norm clipping 0.5 while
/// the statistics accumulate (cold lr 0.01, baselines' kfac.py default). Inverses: baselines refreshes them
/// asynchronously, off the critical path, as often as its queue manages; the PyTorch port synchronously every 10
/// updates. Ours default to every 10 updates in the background, installed 9 updates later (deterministic
/// staleness; docs/notes/h26-acktr.md has the measurements that chose it).
/// </summary>
public sealed record AcktrOptions
{
    public int StepsPerEnv { get; init; } = 20;
    public double Gamma { get; init; } = 0.99;

    /// <summary>GAE's lambda (Schulman et al. 2016): 1 gives baselines' n-step returns.</summary>
    public double GaeLambda { get; init; } = 1.0;

    public double EntropyCoefficient { get; init; } = 0.01;
    public double ValueCoefficient { get; init; } = 0.5;

    /// <summary>Weight of the critic's sampled Gauss-Newton term in the Fisher loss.</summary>
    public double ValueFisherCoefficient { get; init; } = 1.0;

    public double LearningRate { get; init; } = 0.25;
    public bool LinearLearningRate { get; init; } = true;
    public double Momentum { get; init; } = 0.9;

    /// <summary>delta of the trust region: the step is scaled by nu = min(1, sqrt(delta / (lr^2 g^T Delta))).
    /// Default 0.03, not baselines' 0.001 (chosen for Atari): over 5 seeds with the default inverse schedule, the
    /// environment steps to CartPole-v1's 475 (median) were 279 360 at 0.001, 146 560 at 0.01 and 139 520 at 0.03,
    /// and to Acrobot-v1's -100 234 880, 82 880 and 63 680; at 0.1 and 0.3 (synchronous inverses) 2 of 5 Acrobot
    /// seeds never learned (docs/BENCHMARKS.md, ACKTR's delta). MinAtar and the continuous tasks were not re-tuned.</summary>
    public double KlClip { get; init; } = 0.03;

    /// <summary>
    /// c of the measured-KL guard (<see cref="PolicyKlGuard"/>): after each K-FAC update the policy's mean
    /// KL(pi_old || pi_new) over the batch is measured and, while above c delta, the update (and the momentum buffer) is
    /// halved, up to 3 times, then undone. null (the default): no guard, baselines' ACKTR. Costs one forward pass of the
    /// policy over the batch per update (more when it halves).
    /// </summary>
    public double? KlGuard { get; init; }

    public double StatsDecay { get; init; } = 0.99;

    /// <summary>Added to the products lambda_A lambda_G of the factors' eigenvalues ((A (x) G + damping I)^-1).</summary>
    public double Damping { get; init; } = 0.01;

    /// <summary>Updates between refreshes of the factors' eigendecompositions (or inverses) (kfac-pytorch's ACKTR: 10;
    /// baselines refreshes asynchronously, as often as its queue allows).</summary>
    public int InverseInterval { get; init; } = 10;

    /// <summary>
    /// How the blocks are damped and inverted. <see cref="DampingStyle.Eigenbasis"/> (the default, baselines' ACKTR):
    /// (A (x) G + damping I)^-1 exactly, from the factors' eigendecompositions, four GEMMs per product.
    /// <see cref="DampingStyle.FactoredTikhonov"/>: K-FAC's pi-damped factors (Martens &amp; Grosse 2015, section 6.3),
    /// (A + pi gamma I)^-1 (x) (G + gamma/pi I)^-1 with gamma = sqrt(damping), from two Cholesky-based SPD inverses
    /// (about n^3 flops each against the eigensolver's ~9 n^3 and its serial tridiagonal sweeps) and two GEMMs per
    /// product; it damps more than the eigenbasis form (adds pi gamma lambda_G + gamma/pi lambda_A to every eigenvalue
    /// product besides gamma^2). The cheaper refresh matters for wide layers: MinAtar's Dense 1024-128 has a 1025 x 1025
    /// input factor (docs/notes/h27-acktr-cost.md has the measurements).
    /// </summary>
    public DampingStyle DampingStyle { get; init; } = DampingStyle.Eigenbasis;

    /// <summary>
    /// S: 0 computes the eigendecompositions at the update they are due, on the learner's thread; S &gt; 0 computes a
    /// refresh due at update k0 on a background thread from a snapshot of the factors at k0 and installs it at update
    /// k0 + S exactly (waiting if needed), so results do not depend on timing (baselines computes them asynchronously
    /// off the critical path; <see cref="ActorCriticCurvature"/>). Must be below <see cref="InverseInterval"/>;
    /// null (the default) means <see cref="InverseInterval"/> - 1: every refresh in the background, as stale as the
    /// interval allows (9 with the default interval 10; 0, synchronous, with interval 1).
    /// </summary>
    public int? InverseStaleness { get; init; }

    /// <summary>The staleness in effect: <see cref="InverseStaleness"/>, or <see cref="InverseInterval"/> - 1 when null.</summary>
    public int EffectiveInverseStaleness => InverseStaleness ?? InverseInterval - 1;
    public int ColdUpdates { get; init; } = 10;
    public double ColdLearningRate { get; init; } = 0.01;
    public double MaxGradNorm { get; init; } = 0.5;

    /// <summary>Scale rewards by the running standard deviation of the discounted return before the update
    /// (<see cref="Kfac.Rl.Returns.RewardNormalizer"/>; SB3's VecNormalize reward part, which rl-baselines3-zoo
    /// turns on with <c>normalize: true</c>).</summary>
    public bool NormalizeReward { get; init; }

    public void Validate()
    {
        if (StepsPerEnv < 1) throw new ArgumentOutOfRangeException(nameof(StepsPerEnv), StepsPerEnv, "must be positive");
        if (InverseInterval < 1) throw new ArgumentOutOfRangeException(nameof(InverseInterval), InverseInterval, "must be positive");
        if (InverseStaleness is int stale && (stale < 0 || (stale > 0 && stale >= InverseInterval)))
            throw new ArgumentOutOfRangeException(nameof(InverseStaleness), InverseStaleness,
                $"must be 0 (synchronous) or in 1 .. InverseInterval - 1 = {InverseInterval - 1} (InverseInterval = {InverseInterval})");
        if (!Enum.IsDefined(DampingStyle)) throw new ArgumentOutOfRangeException(nameof(DampingStyle), DampingStyle, "not a DampingStyle");
        if (ColdUpdates < 0) throw new ArgumentOutOfRangeException(nameof(ColdUpdates), ColdUpdates, "must be >= 0");
        OptionCheck.InClosedUnit(this, Gamma, nameof(Gamma));
        OptionCheck.InClosedUnit(this, GaeLambda, nameof(GaeLambda));
        OptionCheck.NonNegative(this, EntropyCoefficient, nameof(EntropyCoefficient));
        OptionCheck.NonNegative(this, ValueCoefficient, nameof(ValueCoefficient));
        OptionCheck.NonNegative(this, ValueFisherCoefficient, nameof(ValueFisherCoefficient));
        OptionCheck.Positive(this, LearningRate, nameof(LearningRate));
        OptionCheck.InHalfOpenUnit(this, Momentum, nameof(Momentum));
        OptionCheck.Positive(this, KlClip, nameof(KlClip));
        if (KlGuard is double guard && !(guard > 0 && double.IsFinite(guard)))
            throw new ArgumentOutOfRangeException(nameof(KlGuard), KlGuard, "must be positive and finite (null: no guard)");
        OptionCheck.InHalfOpenUnit(this, StatsDecay, nameof(StatsDecay));
        OptionCheck.Positive(this, Damping, nameof(Damping));
        OptionCheck.Positive(this, ColdLearningRate, nameof(ColdLearningRate));
        OptionCheck.Positive(this, MaxGradNorm, nameof(MaxGradNorm));
    }
}

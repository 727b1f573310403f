using Kfac.Optim;
using Kfac.Rl.Policies;
using Kfac.Rl.Returns;
using Kfac.Rl.Vector;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// Actor-critic using Kronecker-factored trust region (Wu, Mansimov, Grosse, Liao &amp; Ba 2017; openai/baselines
/// acktr): A2C's losses and n-step returns (MATH.md), preconditioned by K-FAC (<see cref="ActorCriticCurvature"/>)
/// and rescaled into a trust region (<see cref="TrustRegion"/>), with momentum:
///   Delta = (F + damping)^-1 g, nu = min(1, sqrt(delta / (lr^2 g^T Delta))), v &lt;- mu v + nu Delta,
///   theta &lt;- theta - lr (1 - mu) v
/// (momentum SGD on the rescaled direction: PyTorch's SGD with lr (1 - mu)). The first <c>ColdUpdates</c> updates
/// are plain momentum SGD with global-norm clipping while the statistics accumulate.
/// </summary>
public sealed class Acktr : OnPolicyLearner
{
    private readonly Sgd _optimizer;
    private readonly ActorCriticCurvature _curvature;
    private readonly System.Random _fisherRng;

    public Acktr(ActorCritic policy, VectorEnvironment env, AcktrOptions? options = null, int seed = 0)
        : base(policy, env, (options ?? new AcktrOptions()).StepsPerEnv, seed)
    {
        Options = options ?? new AcktrOptions();
        Options.Validate();
        if (Options.NormalizeReward) RewardScaling = new RewardNormalizer(env.Count, Options.Gamma);
        using var outside = TensorScope.Suspend();
        _optimizer = new Sgd(policy.Parameters(), new SgdOptions { LearningRate = Options.ColdLearningRate * (1 - Options.Momentum), Momentum = Options.Momentum });
        _curvature = new ActorCriticCurvature(policy, Options.EffectiveInverseStaleness, Options.DampingStyle);
        _fisherRng = new System.Random(seed + 104_729);
        if (Options.KlGuard is not null) _guard = new PolicyKlGuard(policy, _optimizer);
    }

    private readonly PolicyKlGuard? _guard;

    /// <summary>The measured-KL guard (null unless <see cref="AcktrOptions.KlGuard"/> is set).</summary>
    public PolicyKlGuard? Guard => _guard;

    public AcktrOptions Options { get; }

    public ActorCriticCurvature Curvature => _curvature;

    public override Optimizer Optimizer => _optimizer;

    /// <summary>Seconds per phase of the updates so far (<see cref="AcktrPhase"/>).</summary>
    public AcktrTimings Timings { get; } = new();

    /// <summary>The trust-region scale nu of the last K-FAC update (NaN during the cold updates).</summary>
    public double LastScale { get; private set; } = double.NaN;

    /// <summary>
    /// The eigendecompositions of K-FAC update <paramref name="k"/> (counted from the first after the cold ones):
    /// due every <c>InverseInterval</c> updates. S = 0: recomputed here, in place. S &gt; 0: a refresh due at k0 + S is
    /// installed first (waiting for it), then a refresh due now is scheduled in the background (or computed here when
    /// nothing usable is installed). False when a block failed: the step is skipped.
    /// </summary>
    private bool RefreshInverses(int k, ref long t)
    {
        bool due = k % Options.InverseInterval == 0;
        if (Options.EffectiveInverseStaleness == 0)
        {
            bool ok = !due || _curvature.RefreshInverses(Options.Damping);
            t = Timings.Add(AcktrPhase.Inverses, t);
            return ok;
        }
        bool installed = _curvature.InstallDueRefresh(k);
        t = Timings.Add(AcktrPhase.InverseWait, t);
        bool scheduled = !(due || !_curvature.Ready) || _curvature.ScheduleRefresh(Options.Damping, k);
        t = Timings.Add(AcktrPhase.Inverses, t);
        return installed && scheduled;
    }

    protected override UpdateInfo Update()
    {
        var b = Buffer;
        long t = Timings.Start();
        Advantages.Gae(b.Rewards, b.Values, b.Terminated, b.Truncated, b.FinalValues, b.LastValues, b.Steps, b.Envs,
            Options.Gamma, Options.GaeLambda, b.Advantages, b.Returns);
        double lr = Options.LearningRate * (Options.LinearLearningRate ? 1 - Progress : 1);

        using var scope = TensorScope.Begin();
        _optimizer.ZeroGrad();
        int n = b.Size;
        var obs = PolicyEvaluation.ObservationTensor(Policy, b.Observations, n); // the guard re-reads it after the step
        var (logProb, entropy, value, policyOutput) = _curvature.Record(() => PolicyEvaluation.EvaluateWithOutput(Policy, obs, b.Actions));
        t = Timings.Add(AcktrPhase.Forward, t);
        _curvature.BackwardFisherLoss(logProb, value, Options.ValueFisherCoefficient, _fisherRng);
        t = Timings.Add(AcktrPhase.FisherBackward, t);
        _curvature.FoldStatistics(Options.StatsDecay);
        t = Timings.Add(AcktrPhase.Statistics, t);
        var advantages = Tensor.FromDoubles(b.Advantages, new Shape(n), logProb.DType, logProb.Device);
        var returns = Tensor.FromDoubles(b.Returns, new Shape(n), value.DType, value.Device);
        var policyLoss = -(advantages * logProb).Mean();
        var valueLoss = (value - returns).Square().Mean();
        var loss = policyLoss - entropy * Options.EntropyCoefficient + valueLoss * Options.ValueCoefficient;
        loss.Backward();
        t = Timings.Add(AcktrPhase.Backward, t);

        int skipped = 0, halvings = 0;
        double norm = double.NaN, stepLr, policyKl = double.NaN;
        if (!_optimizer.GradientsAreFinite())
        {
            skipped = 1;
            stepLr = 0;
        }
        else if (Updates < Options.ColdUpdates)
        {
            LastScale = double.NaN;
            norm = _optimizer.ClipGradientNorm(Options.MaxGradNorm);
            stepLr = Options.ColdLearningRate;
            _optimizer.LearningRate = stepLr * (1 - Options.Momentum);
            _optimizer.Step();
            LastScale = double.NaN;
        }
        else
        {
            int k = (int)(Updates - Options.ColdUpdates);
            bool refreshed = RefreshInverses(k, ref t);
            norm = _optimizer.ClipGradientNorm(double.MaxValue); // the raw gradient's norm (nothing is scaled)
            double gDelta = refreshed && _curvature.Ready ? _curvature.Precondition(Options.Damping) : double.NaN;
            t = Timings.Add(AcktrPhase.Precondition, t);
            if (!double.IsFinite(gDelta) || !_optimizer.GradientsAreFinite())
            {
                skipped = 1;
                stepLr = 0;
            }
            else
            {
                double nu = Kfac.Curvature.TrustRegion.Scale(lr, gDelta, Options.KlClip);
                LastScale = nu;
                foreach (var p in Policy.Parameters())
                    if (p.Grad is { } g) g.Backend.Affine(g, nu, 0, g);
                stepLr = lr;
                _optimizer.LearningRate = lr * (1 - Options.Momentum);
                if (_guard is null) _optimizer.Step();
                else
                {
                    _guard.BeginFromOutput(policyOutput);
                    _optimizer.Step();
                    if (!_guard.Check(obs, Options.KlGuard!.Value * Options.KlClip))
                    {
                        skipped = 1;
                        stepLr = 0;
                    }
                    halvings = _guard.LastHalvings;
                    policyKl = _guard.LastKl;
                }
            }
        }
        Timings.Add(AcktrPhase.Update, t);
        return new UpdateInfo
        {
            PolicyLoss = policyLoss.Item(), ValueLoss = valueLoss.Item(), Entropy = entropy.Item(),
            GradientNorm = norm, LearningRate = stepLr, SkippedSteps = skipped, TrustRegionScale = LastScale,
            PolicyKl = policyKl, GuardHalvings = halvings,
        };
    }
}

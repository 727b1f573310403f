using Kfac.Optim;
using Kfac.Rl.Policies;
using Kfac.Rl.Returns;
using Kfac.Rl.Vector;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// Synchronous advantage actor-critic (Mnih et al. 2016; openai/baselines a2c and SB3's A2C): after each rollout
/// of n steps from N environments, ONE gradient step on
///   L = -mean_t[(R_t - V(s_t)) log pi(a_t | s_t)] - c_ent mean_t H(pi(. | s_t)) + c_v mean_t (V(s_t) - R_t)^2
/// with n-step returns R (GAE with lambda = 1; advantages R - V use the rollout's V, a constant), gradients
/// clipped to global norm 0.5 and RMSProp. The loss is the one of MATH.md's ACKTR section (vf = mean squared
/// error, total = pg - c_ent H + c_v vf).
/// </summary>
public sealed class A2c : OnPolicyLearner
{
    private readonly RmsProp _optimizer;

    public A2c(ActorCritic policy, VectorEnvironment env, A2cOptions? options = null, int seed = 0)
        : base(policy, env, (options ?? new A2cOptions()).StepsPerEnv, seed)
    {
        Options = options ?? new A2cOptions();
        Options.Validate();
        if (Options.NormalizeReward) RewardScaling = new RewardNormalizer(env.Count, Options.Gamma);
        using var outside = TensorScope.Suspend();
        _optimizer = new RmsProp(policy.Parameters(), new RmsPropOptions
        {
            LearningRate = Options.LearningRate, Alpha = Options.RmsAlpha, Epsilon = Options.RmsEpsilon,
        });
    }

    public A2cOptions Options { get; }

    public override Optimizer Optimizer => _optimizer;

    protected override UpdateInfo Update()
    {
        var b = Buffer;
        Advantages.Gae(b.Rewards, b.Values, b.Terminated, b.Truncated, b.FinalValues, b.LastValues, b.Steps, b.Envs,
            Options.Gamma, Options.GaeLambda, b.Advantages, b.Returns);
        if (Options.NormalizeAdvantage) Advantages.Normalize(b.Advantages);
        double lr = Options.LearningRate * (Options.LinearLearningRate ? 1 - Progress : 1);
        _optimizer.LearningRate = lr;

        using var scope = TensorScope.Begin();
        _optimizer.ZeroGrad();
        int n = b.Size;
        var (logProb, entropy, value) = PolicyEvaluation.Evaluate(Policy, b.Observations, b.Actions, n);
        var advantages = Tensor.FromDoubles(b.Advantages, new Shape(n), logProb.DType, logProb.Device);
        var returns = Tensor.FromDoubles(b.Returns, new Shape(n), value.DType, value.Device);
        var policyLoss = -(advantages * logProb).Mean();
        var valueLoss = (value - returns).Square().Mean();
        var loss = policyLoss - entropy * Options.EntropyCoefficient + valueLoss * Options.ValueCoefficient;
        loss.Backward();
        int skipped = 0;
        double norm = double.NaN;
        if (_optimizer.GradientsAreFinite())
        {
            norm = _optimizer.ClipGradientNorm(Options.MaxGradNorm);
            _optimizer.Step();
        }
        else skipped = 1;
        return new UpdateInfo
        {
            PolicyLoss = policyLoss.Item(), ValueLoss = valueLoss.Item(), Entropy = entropy.Item(),
            GradientNorm = norm, LearningRate = lr, SkippedSteps = skipped,
        };
    }
}

using Kfac.Optim;
using Kfac.Rl.Policies;
using Kfac.Rl.Returns;
using Kfac.Rl.Vector;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// Proximal policy optimisation with the clipped surrogate (Schulman et al. 2017, eq. 7; SB3's PPO): after each
/// rollout, advantages by GAE(lambda), then <c>Epochs</c> passes over shuffled minibatches, each a step of Adam on
///   L = -mean[min(r A, clip(r, 1 - eps, 1 + eps) A)] - c_ent mean H + c_v mean (V - R)^2,
/// r = pi(a | s) / pi_old(a | s) = exp(log pi - log pi_old), A normalised per minibatch, R = A_GAE + V_old.
/// The min is resolved per sample on the host: where the unclipped term is the smaller (or equal), the
/// gradient is A dr; elsewhere the clipped term is a constant (zero gradient), exactly as autograd through
/// torch.min and torch.clamp gives.
/// </summary>
public sealed class Ppo : OnPolicyLearner
{
    private readonly Adam _optimizer;
    private readonly int[] _order;

    public Ppo(ActorCritic policy, VectorEnvironment env, PpoOptions? options = null, int seed = 0)
        : base(policy, env, (options ?? new PpoOptions()).StepsPerEnv, seed)
    {
        Options = options ?? new PpoOptions();
        Options.Validate();
        if (Options.NormalizeReward) RewardScaling = new RewardNormalizer(env.Count, Options.Gamma);
        using var outside = TensorScope.Suspend();
        _optimizer = new Adam(policy.Parameters(), new AdamOptions { LearningRate = Options.LearningRate, Epsilon = Options.AdamEpsilon });
        _order = Enumerable.Range(0, Buffer.Size).ToArray();
    }

    public PpoOptions Options { get; }

    public override Optimizer Optimizer => _optimizer;

    protected override UpdateInfo Update()
    {
        var b = Buffer;
        Advantages.Gae(b.Rewards, b.Values, b.Terminated, b.Truncated, b.FinalValues, b.LastValues, b.Steps, b.Envs,
            Options.Gamma, Options.GaeLambda, b.Advantages, b.Returns);
        double lr = Options.LearningRate * (Options.LinearLearningRate ? 1 - Progress : 1);
        double clip = Options.ClipRange * (Options.LinearClipRange ? 1 - Progress : 1);
        _optimizer.LearningRate = lr;

        int n = b.Size, obsSize = b.ObservationSize, dim = b.ActionDimension;
        int batch = Math.Min(Options.BatchSize, n);
        var obs = new float[batch * obsSize];
        var actions = new double[batch * dim];
        var adv = new double[batch];
        var ret = new double[batch];
        var oldLogProb = new double[batch];
        var coefficient = new double[batch];
        double sumPolicy = 0, sumValue = 0, sumEntropy = 0, sumKl = 0, lastNorm = double.NaN;
        long clipped = 0, samples = 0;
        int steps = 0, skipped = 0;
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            for (int i = n - 1; i > 0; i--)
            {
                int j = Rng.Next(i + 1);
                (_order[i], _order[j]) = (_order[j], _order[i]);
            }
            for (int start = 0; start < n; start += batch)
            {
                int m = Math.Min(batch, n - start);
                for (int k = 0; k < m; k++)
                {
                    int idx = _order[start + k];
                    b.Observations.AsSpan(idx * obsSize, obsSize).CopyTo(obs.AsSpan(k * obsSize));
                    b.Actions.AsSpan(idx * dim, dim).CopyTo(actions.AsSpan(k * dim));
                    adv[k] = b.Advantages[idx];
                    ret[k] = b.Returns[idx];
                    oldLogProb[k] = b.LogProbs[idx];
                }
                var a = adv.AsSpan(0, m);
                if (Options.NormalizeAdvantage && m > 1) Advantages.Normalize(a);

                using var scope = TensorScope.Begin();
                _optimizer.ZeroGrad();
                var (logProb, entropy, value) = PolicyEvaluation.Evaluate(Policy, obs.AsSpan(0, m * obsSize), actions.AsSpan(0, m * dim), m);
                var old = Tensor.FromDoubles(oldLogProb.AsSpan(0, m), new Shape(m), logProb.DType, logProb.Device);
                var ratio = (logProb - old).Exp();
                var r = ratio.ToDoubleArray();
                var (surrogate, outside) = ClippedSurrogate.Evaluate(r, a, clip, coefficient.AsSpan(0, m));
                clipped += outside;
                for (int k = 0; k < m; k++) sumKl += (r[k] - 1) - Math.Log(r[k]);
                samples += m;
                var coef = Tensor.FromDoubles(coefficient.AsSpan(0, m), new Shape(m), ratio.DType, ratio.Device);
                var policyLoss = -(ratio * coef).Mean();
                var returns = Tensor.FromDoubles(ret.AsSpan(0, m), new Shape(m), value.DType, value.Device);
                var valueLoss = (value - returns).Square().Mean();
                var loss = policyLoss - entropy * Options.EntropyCoefficient + valueLoss * Options.ValueCoefficient;
                loss.Backward();
                if (_optimizer.GradientsAreFinite())
                {
                    lastNorm = _optimizer.ClipGradientNorm(Options.MaxGradNorm);
                    _optimizer.Step();
                }
                else skipped++;
                sumPolicy += -surrogate / m;
                sumValue += valueLoss.Item();
                sumEntropy += entropy.Item();
                steps++;
            }
        }
        return new UpdateInfo
        {
            PolicyLoss = sumPolicy / steps, ValueLoss = sumValue / steps, Entropy = sumEntropy / steps,
            GradientNorm = lastNorm, ApproxKl = sumKl / samples, ClipFraction = (double)clipped / samples,
            LearningRate = lr, SkippedSteps = skipped,
        };
    }
}

namespace Kfac.Rl.Returns;

/// <summary>
/// Reward scaling by the running standard deviation of the discounted return, as Stable-Baselines3's
/// <c>VecNormalize(norm_obs=False, norm_reward=True)</c> does (stable_baselines3/common/vec_env/vec_normalize.py,
/// SB3 2.x; the same in openai/baselines' VecNormalize): per environment the return accumulator
///   R_e &lt;- gamma R_e + r_e            (reset to 0 after the step that ends an episode, terminated or truncated),
/// the running variance sigma^2 of all R_e seen so far (Chan et al.'s parallel update over each step's N values,
/// starting from count 1e-4, mean 0, variance 1: SB3's RunningMeanStd), and the scaled reward
///   r'_e = clip(r_e / sqrt(sigma^2 + 1e-8), -clip, clip)
/// with the statistics updated before the step's rewards are scaled. Only the learner sees r'; episode returns
/// (logging, evaluation) stay in the environment's units. The mean is not subtracted, so the sign and the
/// optimum of every discounted objective are unchanged (a positive rescaling of all rewards).
/// </summary>
public sealed class RewardNormalizer
{
    private readonly double[] _returns;

    public RewardNormalizer(int envs, double gamma, double clip = 10.0, double epsilon = 1e-8)
    {
        if (envs < 1) throw new ArgumentOutOfRangeException(nameof(envs), envs, "must be positive");
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "must be in [0, 1]");
        if (!(clip > 0)) throw new ArgumentOutOfRangeException(nameof(clip), clip, "must be positive");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "must be positive");
        _returns = new double[envs];
        Gamma = gamma;
        Clip = clip;
        Epsilon = epsilon;
    }

    public double Gamma { get; }
    public double Clip { get; }
    public double Epsilon { get; }
    public int Envs => _returns.Length;

    /// <summary>Running count of the returns seen (starts at SB3's 1e-4).</summary>
    public double Count { get; private set; } = 1e-4;

    /// <summary>Running mean of the discounted returns.</summary>
    public double Mean { get; private set; }

    /// <summary>Running variance of the discounted returns (population variance; starts at 1).</summary>
    public double Variance { get; private set; } = 1.0;

    /// <summary>
    /// Scales a rollout's rewards in place, step by step in time order ([T, N] row-major, as
    /// <see cref="Kfac.Rl.Algorithms.Rollout"/> stores them): for each step t, R &lt;- gamma R + r_t, the statistics
    /// take the N returns, r_t is divided by sqrt(variance + epsilon) and clipped, and R is zeroed where the step
    /// ended an episode. The accumulators carry over to the next call (the next rollout continues the episodes).
    /// </summary>
    public void Normalize(Span<double> rewards, ReadOnlySpan<bool> terminated, ReadOnlySpan<bool> truncated, int steps)
    {
        int envs = _returns.Length;
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "must be positive");
        if (rewards.Length != steps * envs || terminated.Length != steps * envs || truncated.Length != steps * envs)
            throw new ArgumentException(
                $"rewards ({rewards.Length}), terminated ({terminated.Length}) and truncated ({truncated.Length}) must each hold steps x envs = {steps} x {envs} = {steps * envs} values",
                nameof(rewards));
        for (int t = 0; t < steps; t++)
        {
            int row = t * envs;
            double batchMean = 0;
            for (int e = 0; e < envs; e++)
            {
                _returns[e] = Gamma * _returns[e] + rewards[row + e];
                batchMean += _returns[e];
            }
            batchMean /= envs;
            double batchVariance = 0;
            for (int e = 0; e < envs; e++) batchVariance += (_returns[e] - batchMean) * (_returns[e] - batchMean);
            batchVariance /= envs;
            Update(batchMean, batchVariance, envs);
            double scale = 1.0 / Math.Sqrt(Variance + Epsilon);
            for (int e = 0; e < envs; e++)
            {
                int i = row + e;
                rewards[i] = Math.Clamp(rewards[i] * scale, -Clip, Clip);
                if (terminated[i] || truncated[i]) _returns[e] = 0;
            }
        }
    }

    /// <summary>Chan, Golub &amp; LeVeque's parallel combination of (count, mean, M2) with a batch's.</summary>
    private void Update(double batchMean, double batchVariance, int batchCount)
    {
        double delta = batchMean - Mean, total = Count + batchCount;
        double m2 = Variance * Count + batchVariance * batchCount + delta * delta * Count * batchCount / total;
        Mean += delta * batchCount / total;
        Variance = m2 / total;
        Count = total;
    }
}

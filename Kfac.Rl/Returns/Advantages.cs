namespace Kfac.Rl.Returns;

/// <summary>
/// n-step returns and generalised advantage estimation over a rollout of T steps from N environments, all
/// arrays [T, N] row-major (step-major, as the rollout is collected). Episode ends are handled as
/// Stable-Baselines3 does with its time-limit bootstrap: at a TERMINATED step the next value is 0; at a
/// TRUNCATED step (time limit, not terminal) the next value is V(s_final) of the episode's own last observation
/// (<paramref name="finalValues"/>), never the value of the next episode's first state; in both cases the sums
/// do not run on into the next episode. After the last step the rollout bootstraps from
/// <paramref name="lastValues"/> = V(s_T).
/// </summary>
public static class Advantages
{
    /// <summary>
    /// GAE(lambda) (Schulman et al. 2016, eq. 16): delta_t = r_t + gamma V_next(t) - V(s_t),
    /// A_t = delta_t + gamma lambda A_{t+1} (A_{t+1} = 0 across an episode end), returns R_t = A_t + V(s_t)
    /// (the value targets of SB3's PPO). lambda = 1 gives the n-step advantages R - V of A2C.
    /// </summary>
    public static void Gae(
        ReadOnlySpan<double> rewards, ReadOnlySpan<double> values, ReadOnlySpan<bool> terminated, ReadOnlySpan<bool> truncated,
        ReadOnlySpan<double> finalValues, ReadOnlySpan<double> lastValues, int steps, int envs, double gamma, double lambda,
        Span<double> advantages, Span<double> returns)
    {
        Check(rewards, values, terminated, truncated, finalValues, lastValues, steps, envs, gamma, advantages, returns);
        if (!(lambda >= 0 && lambda <= 1)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "must be in [0, 1]");
        for (int e = 0; e < envs; e++)
        {
            double nextAdvantage = 0;
            for (int t = steps - 1; t >= 0; t--)
            {
                int i = t * envs + e;
                double nextValue;
                bool continues;
                if (terminated[i]) { nextValue = 0; continues = false; }
                else if (truncated[i]) { nextValue = finalValues[i]; continues = false; }
                else { nextValue = t == steps - 1 ? lastValues[e] : values[i + envs]; continues = t < steps - 1; }
                double delta = rewards[i] + gamma * nextValue - values[i];
                double a = delta + (continues ? gamma * lambda * nextAdvantage : 0);
                advantages[i] = a;
                returns[i] = a + values[i];
                nextAdvantage = a;
            }
        }
    }

    /// <summary>
    /// n-step discounted returns (A2C, Mnih et al. 2016): R_t = r_t + gamma R_{t+1}, with R_T = V(s_T) after the
    /// last step, 0 after a terminated step and V(s_final) after a truncated one.
    /// </summary>
    public static void NStep(
        ReadOnlySpan<double> rewards, ReadOnlySpan<bool> terminated, ReadOnlySpan<bool> truncated,
        ReadOnlySpan<double> finalValues, ReadOnlySpan<double> lastValues, int steps, int envs, double gamma, Span<double> returns)
    {
        Check(rewards, rewards, terminated, truncated, finalValues, lastValues, steps, envs, gamma, returns, returns);
        for (int e = 0; e < envs; e++)
        {
            double next = lastValues[e];
            for (int t = steps - 1; t >= 0; t--)
            {
                int i = t * envs + e;
                if (terminated[i]) next = 0;
                else if (truncated[i]) next = finalValues[i];
                next = rewards[i] + gamma * next;
                returns[i] = next;
            }
        }
    }

    /// <summary>(A - mean) / (std + 1e-8) with the population standard deviation (SB3's PPO normalisation,
    /// numpy's std).</summary>
    public static void Normalize(Span<double> advantages)
    {
        if (advantages.Length == 0) return;
        double mean = 0;
        foreach (var a in advantages) mean += a;
        mean /= advantages.Length;
        double var = 0;
        foreach (var a in advantages) var += (a - mean) * (a - mean);
        double std = Math.Sqrt(var / advantages.Length);
        for (int i = 0; i < advantages.Length; i++) advantages[i] = (advantages[i] - mean) / (std + 1e-8);
    }

    private static void Check(ReadOnlySpan<double> rewards, ReadOnlySpan<double> values, ReadOnlySpan<bool> terminated, ReadOnlySpan<bool> truncated,
        ReadOnlySpan<double> finalValues, ReadOnlySpan<double> lastValues, int steps, int envs, double gamma, Span<double> a, Span<double> b)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "must be positive");
        if (envs < 1) throw new ArgumentOutOfRangeException(nameof(envs), envs, "must be positive");
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "must be in [0, 1]");
        int n = steps * envs;
        void Len(int length, string name)
        {
            if (length != n) throw new ArgumentException($"{name} has {length} entries, expected steps {steps} x envs {envs} = {n}", name);
        }
        Len(rewards.Length, nameof(rewards));
        Len(values.Length, nameof(values));
        Len(terminated.Length, nameof(terminated));
        Len(truncated.Length, nameof(truncated));
        Len(finalValues.Length, nameof(finalValues));
        Len(a.Length, "advantages");
        Len(b.Length, "returns");
        if (lastValues.Length != envs) throw new ArgumentException($"lastValues has {lastValues.Length} entries, expected {envs}", nameof(lastValues));
    }
}

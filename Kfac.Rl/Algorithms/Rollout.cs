using Kfac.Autodiff;
using Kfac.Rl.Policies;
using Kfac.Rl.Vector;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// The on-policy rollout buffer of T steps from N environments, all arrays [T, N] row-major (SB3's
/// RolloutBuffer): observations, actions (as executed before clipping; a discrete action is its index),
/// rewards, episode-end flags, V(s_t), log pi(a_t | s_t), and V(s_final) for truncated episodes, plus V(s_T)
/// after the last step for bootstrapping. <see cref="Collect"/> fills it by acting with the current policy
/// (sampled actions, no gradient).
/// </summary>
public sealed class Rollout
{
    public Rollout(int steps, int envs, int observationSize, int actionDimension)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "must be positive");
        if (envs < 1) throw new ArgumentOutOfRangeException(nameof(envs), envs, "must be positive");
        Steps = steps;
        Envs = envs;
        ObservationSize = observationSize;
        ActionDimension = actionDimension;
        int n = steps * envs;
        Observations = new float[n * observationSize];
        Actions = new double[n * actionDimension];
        Rewards = new double[n];
        Terminated = new bool[n];
        Truncated = new bool[n];
        Values = new double[n];
        LogProbs = new double[n];
        FinalValues = new double[n];
        LastValues = new double[envs];
        Advantages = new double[n];
        Returns = new double[n];
    }

    public int Steps { get; }
    public int Envs { get; }
    public int Size => Steps * Envs;
    public int ObservationSize { get; }
    public int ActionDimension { get; }
    public float[] Observations { get; }
    public double[] Actions { get; }
    public double[] Rewards { get; }
    public bool[] Terminated { get; }
    public bool[] Truncated { get; }
    public double[] Values { get; }
    public double[] LogProbs { get; }
    public double[] FinalValues { get; }
    public double[] LastValues { get; }

    /// <summary>Filled by the learner (GAE or n-step).</summary>
    public double[] Advantages { get; }

    /// <summary>Value targets, filled by the learner.</summary>
    public double[] Returns { get; }

    /// <summary>Acts for <see cref="Steps"/> steps in <paramref name="env"/> (already reset) with actions
    /// sampled from <paramref name="policy"/>. Continuous actions are clipped to the Box bounds when sent to the
    /// environments (SB3), the buffer keeps the sampled ones.</summary>
    public void Collect(ActorCritic policy, VectorEnvironment env, System.Random rng)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(env);
        if (env.Count != Envs || env.ObservationSize != ObservationSize || env.ActionSpace.Dimension != ActionDimension)
            throw new ArgumentException($"environment ({env.Count} envs, observation {env.ObservationSize}, action {env.ActionSpace.Dimension}) does not match the rollout ({Envs}, {ObservationSize}, {ActionDimension})", nameof(env));
        var space = env.ActionSpace;
        var stepActions = new double[Envs * ActionDimension];
        var discrete = new int[Envs];
        var truncatedRows = new List<int>();
        using var noGrad = GradMode.Disable();
        for (int t = 0; t < Steps; t++)
        {
            int row = t * Envs;
            env.Observations.CopyTo(Observations.AsSpan(row * ObservationSize, Envs * ObservationSize));
            using (TensorScope.Begin())
            {
                var obs = Tensor.FromArray<float>(env.Observations, new Shape(Envs, ObservationSize));
                var (output, value) = policy.Evaluate(obs);
                value.ToDoubleArray().CopyTo(Values.AsSpan(row, Envs));
                var actions = Actions.AsSpan(row * ActionDimension, Envs * ActionDimension);
                if (space.IsDiscrete)
                {
                    var dist = policy.CategoricalOf(output);
                    dist.Sample(rng, discrete);
                    for (int i = 0; i < Envs; i++) actions[i] = discrete[i];
                    dist.LogProb(discrete).ToDoubleArray().CopyTo(LogProbs.AsSpan(row, Envs));
                }
                else
                {
                    var dist = policy.GaussianOf(output);
                    dist.Sample(rng, actions);
                    dist.LogProb(actions).ToDoubleArray().CopyTo(LogProbs.AsSpan(row, Envs));
                }
                for (int i = 0; i < actions.Length; i++)
                    stepActions[i] = space.IsDiscrete ? actions[i] : Math.Clamp(actions[i], space.Low, space.High);
            }
            env.Step(stepActions);
            truncatedRows.Clear();
            for (int i = 0; i < Envs; i++)
            {
                Rewards[row + i] = env.Rewards[i];
                Terminated[row + i] = env.Terminated[i];
                Truncated[row + i] = env.Truncated[i];
                FinalValues[row + i] = 0;
                if (env.Truncated[i]) truncatedRows.Add(i);
            }
            if (truncatedRows.Count > 0)
            {
                using var scope = TensorScope.Begin();
                var finals = new float[truncatedRows.Count * ObservationSize];
                for (int k = 0; k < truncatedRows.Count; k++)
                    env.FinalObservations.AsSpan(truncatedRows[k] * ObservationSize, ObservationSize).CopyTo(finals.AsSpan(k * ObservationSize));
                var v = policy.Value(Tensor.FromArray<float>(finals, new Shape(truncatedRows.Count, ObservationSize))).ToDoubleArray();
                for (int k = 0; k < truncatedRows.Count; k++) FinalValues[row + truncatedRows[k]] = v[k];
            }
        }
        using (TensorScope.Begin())
        {
            var last = policy.Value(Tensor.FromArray<float>(env.Observations, new Shape(Envs, ObservationSize))).ToDoubleArray();
            last.CopyTo(LastValues, 0);
        }
    }
}

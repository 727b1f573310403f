using Kfac.Autodiff;
using Kfac.Rl.Environments;
using Kfac.Rl.Policies;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>Runs a policy greedily (argmax action, or the Gaussian mean clipped to the bounds) for whole
/// episodes (SB3's evaluate_policy with deterministic = True).</summary>
public static class Evaluation
{
    public static double[] Greedy(ActorCritic policy, Func<Env> factory, int episodes, int seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(factory);
        if (episodes < 1) throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "must be positive");
        var env = factory();
        var obs = new float[env.ObservationSize];
        var action = new double[env.ActionSpace.Dimension];
        var discrete = new int[1];
        var returns = new double[episodes];
        using var noGrad = GradMode.Disable();
        for (int e = 0; e < episodes; e++)
        {
            env.Reset(seed + e, obs);
            double total = 0;
            while (true)
            {
                using (TensorScope.Begin())
                {
                    var output = policy.Forward(Tensor.FromArray<float>(obs, new Shape(1, obs.Length)));
                    if (env.ActionSpace.IsDiscrete)
                    {
                        policy.CategoricalOf(output).Mode(discrete);
                        action[0] = discrete[0];
                    }
                    else
                    {
                        policy.GaussianOf(output).Mode(action);
                        for (int i = 0; i < action.Length; i++) action[i] = Math.Clamp(action[i], env.ActionSpace.Low, env.ActionSpace.High);
                    }
                }
                var r = env.Step(action, obs);
                total += r.Reward;
                if (r.Done) break;
            }
            returns[e] = total;
        }
        return returns;
    }
}

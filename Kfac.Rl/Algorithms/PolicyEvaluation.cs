using Kfac.Rl.Policies;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// One differentiable pass of the actor-critic over a batch of stored (observation, action) pairs:
/// log pi(a | s) [B], the mean entropy (a scalar) and V(s) [B] (SB3's <c>policy.evaluate_actions</c>).
/// </summary>
public static class PolicyEvaluation
{
    public static (Tensor LogProb, Tensor Entropy, Tensor Value) Evaluate(ActorCritic policy, ReadOnlySpan<float> observations, ReadOnlySpan<double> actions, int batch)
    {
        var (logProb, entropy, value, _) = EvaluateWithOutput(policy, ObservationTensor(policy, observations, batch), actions);
        return (logProb, entropy, value);
    }

    /// <summary>The batch's observations as a [batch, observation size] tensor (checked against the policy's shape).</summary>
    public static Tensor ObservationTensor(ActorCritic policy, ReadOnlySpan<float> observations, int batch)
    {
        ArgumentNullException.ThrowIfNull(policy);
        int obsSize = policy.ObservationShape.Aggregate(1, (a, b) => a * b);
        if (observations.Length != batch * obsSize)
            throw new ArgumentException($"observations have {observations.Length} floats, expected batch {batch} x {obsSize}", nameof(observations));
        return Tensor.FromArray(observations, new Shape(batch, obsSize));
    }

    /// <summary><see cref="Evaluate"/> on observations already in a tensor (<see cref="ObservationTensor"/>), also
    /// returning the policy head's output (logits, or the Gaussian's means).</summary>
    public static (Tensor LogProb, Tensor Entropy, Tensor Value, Tensor PolicyOutput) EvaluateWithOutput(ActorCritic policy, Tensor observations, ReadOnlySpan<double> actions)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(observations);
        int batch = observations.Shape[0];
        var (output, value) = policy.Evaluate(observations);
        if (policy.ActionSpace.IsDiscrete)
        {
            if (actions.Length != batch) throw new ArgumentException($"{actions.Length} actions for a batch of {batch}", nameof(actions));
            var ints = new int[batch];
            for (int i = 0; i < batch; i++) ints[i] = (int)actions[i];
            var dist = policy.CategoricalOf(output);
            return (dist.LogProb(ints), dist.Entropy().Mean(), value, output);
        }
        var gaussian = policy.GaussianOf(output);
        return (gaussian.LogProb(actions), gaussian.Entropy(), value, output);
    }
}

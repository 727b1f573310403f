using Kfac.Autodiff;
using Kfac.Optim;
using Kfac.Rl.Policies;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// ACKTR's check of the trust region against the policy's actual change (<see cref="AcktrOptions.KlGuard"/>), as
/// TRPO's line search checks its step (Schulman et al. 2015, appendix C): the K-FAC model predicts the KL of an update
/// as 1/2 lr^2 nu^2 g^T Delta, but with factors and inverses that lag the policy, and momentum carrying earlier
/// directions, the policy can move an order of magnitude further (docs/BENCHMARKS.md, stop 39: 0.05-0.19 nats per
/// update for eight updates before a CartPole policy collapsed, against a bound of 0.015). After the update the guard
/// measures the mean over the batch's states of KL(pi_old || pi_new),
///   categorical: sum_a p_old(a) (log p_old(a) - log p_new(a));
///   diagonal Gaussian: sum_d log(sigma_new / sigma_old) + (sigma_old^2 + (mu_old - mu_new)^2) / (2 sigma_new^2) - 1/2,
/// and while it exceeds the limit halves the update: theta = theta_0 + (theta - theta_0) / 2 and the momentum buffer
/// v = v / 2 (so theta = theta_0 - lr (1 - mu) v still holds), at most <see cref="MaxHalvings"/> times; if the KL is
/// still above the limit the update is undone (theta = theta_0, v = 0). The critic's parameters move with the policy's
/// (one update, one scale). The parameter snapshot is allocated once; each check is one forward pass of the policy
/// over the batch and a host copy of its output (the guard is opt-in: about 1 ms per update on CartPole's batch of 320).
/// </summary>
public sealed class PolicyKlGuard
{
    /// <summary>Halvings tried before the update is undone.</summary>
    public const int MaxHalvings = 3;

    private readonly ActorCritic _policy;
    private readonly Sgd _optimizer;
    private readonly Tensor[] _parameters;
    private readonly Tensor[] _start;
    private double[] _before = [];

    public PolicyKlGuard(ActorCritic policy, Sgd optimizer)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _parameters = policy.Parameters().ToArray();
        using var outside = TensorScope.Suspend();
        _start = _parameters.Select(Tensor.EmptyLike).ToArray();
    }

    /// <summary>Halvings of the last checked update (0: accepted as taken; <see cref="MaxHalvings"/> + 1: undone).</summary>
    public int LastHalvings { get; private set; }

    /// <summary>The measured KL of the last checked update, after any halving (0 when undone).</summary>
    public double LastKl { get; private set; }

    /// <summary>Updates checked so far.</summary>
    public long Checks { get; private set; }

    /// <summary>Halvings so far, over all checked updates.</summary>
    public long Halvings { get; private set; }

    /// <summary>Updates undone so far.</summary>
    public long Undone { get; private set; }

    /// <summary>The largest measured KL of an update the guard let stand (after its halvings).</summary>
    public double MaxAcceptedKl { get; private set; }

    /// <summary>Records theta_0 and the policy's distribution on <paramref name="observations"/> (call before the step).</summary>
    public void Begin(Tensor observations)
    {
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        BeginFromOutput(_policy.Evaluate(observations).PolicyOutput);
    }

    /// <summary>Records theta_0 and the policy's distribution from the policy head's <paramref name="policyOutput"/> of
    /// this update's own forward pass at theta_0 (saves the guard's second forward pass).</summary>
    public void BeginFromOutput(Tensor policyOutput)
    {
        ArgumentNullException.ThrowIfNull(policyOutput);
        for (int i = 0; i < _parameters.Length; i++) _parameters[i].Backend.Copy(_parameters[i], _start[i]);
        using var noGrad = GradMode.Disable();
        _before = Read(policyOutput);
    }

    /// <summary>Measures the step taken since <see cref="Begin"/> and halves or undoes it while the KL exceeds
    /// <paramref name="limit"/>. Returns false when the update was undone.</summary>
    public bool Check(Tensor observations, double limit)
    {
        if (!(limit > 0)) throw new ArgumentOutOfRangeException(nameof(limit), limit, "must be positive");
        LastHalvings = 0;
        LastKl = Kl(observations);
        while (LastKl > limit && LastHalvings < MaxHalvings)
        {
            Scale(0.5);
            LastHalvings++;
            LastKl = Kl(observations);
        }
        Checks++;
        Halvings += LastHalvings;
        if (LastKl <= limit)
        {
            MaxAcceptedKl = Math.Max(MaxAcceptedKl, LastKl);
            return true;
        }
        Scale(0);
        LastHalvings = MaxHalvings + 1;
        LastKl = 0;
        Undone++;
        return false;
    }

    /// <summary>theta = theta_0 + s (theta - theta_0), v = s v.</summary>
    private void Scale(double s)
    {
        for (int i = 0; i < _parameters.Length; i++) _parameters[i].Backend.Axpby(1 - s, _start[i], s, _parameters[i]);
        foreach (var state in _optimizer.State.Parameters)
            if (state.Buffers.TryGetValue(Momentum.BufferName, out var v)) v.Backend.Affine(v, s, 0, v);
    }

    private double Kl(Tensor observations)
    {
        var after = Distribution(observations);
        int n = observations.Shape[0];
        double sum = 0;
        if (_policy.ActionSpace.IsDiscrete)
        {
            for (int i = 0; i < _before.Length; i++) sum += Math.Exp(_before[i]) * (_before[i] - after[i]);
            return sum / n;
        }
        // [mean (n x d) | log std (d)]
        int d = _policy.ActionSpace.Dimension, count = n * d;
        for (int i = 0; i < count; i++)
        {
            double lsOld = _before[count + i % d], lsNew = after[count + i % d], dm = _before[i] - after[i];
            sum += lsNew - lsOld + (Math.Exp(2 * lsOld) + dm * dm) / (2 * Math.Exp(2 * lsNew)) - 0.5;
        }
        return sum / n;
    }

    /// <summary>Categorical: log p, [n x k]; Gaussian: the means [n x d] then the state-independent log standard
    /// deviations [d]. (A host copy per check: the guard is opt-in, and its batches are a rollout's.)</summary>
    private double[] Distribution(Tensor observations)
    {
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        return Read(_policy.Evaluate(observations).PolicyOutput);
    }

    private double[] Read(Tensor output)
    {
        if (_policy.ActionSpace.IsDiscrete) return _policy.CategoricalOf(output).LogProbabilities.ToDoubleArray();
        var g = _policy.GaussianOf(output);
        return [.. g.Mean.ToDoubleArray(), .. g.LogStd.ToDoubleArray()];
    }
}

using Kfac.Layers;
using Kfac.Optim;
using Kfac.Rl.Policies;
using Kfac.Rl.Returns;
using Kfac.Rl.Vector;
using Kfac.Training;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// The loop shared by A2C and PPO (SB3's OnPolicyAlgorithm): reset the vectorised environments once, then
/// repeatedly collect a rollout of <see cref="StepsPerEnv"/> steps and update. <see cref="Learn"/> stops after
/// the update that brings the environment steps to the budget. After every update a Gaussian policy's log-std is
/// projected below <see cref="ActorCritic.LogStdCeiling"/> (the log of the action box's width).
/// </summary>
public abstract class OnPolicyLearner
{
    private bool _started;

    protected OnPolicyLearner(ActorCritic policy, VectorEnvironment env, int stepsPerEnv, int seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(env);
        if (stepsPerEnv < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEnv), stepsPerEnv, "must be positive");
        if (policy.ActionSpace != env.ActionSpace)
            throw new ArgumentException($"the policy's action space {policy.ActionSpace} differs from the environment's {env.ActionSpace}", nameof(policy));
        Policy = policy;
        Env = env;
        StepsPerEnv = stepsPerEnv;
        Seed = seed;
        Rng = new System.Random(seed);
        Buffer = new Rollout(stepsPerEnv, env.Count, env.ObservationSize, env.ActionSpace.Dimension);
    }

    public ActorCritic Policy { get; }

    public VectorEnvironment Env { get; }

    public int StepsPerEnv { get; }

    public int Seed { get; }

    public long Updates { get; protected set; }

    /// <summary>Wall-clock seconds spent in updates (gradient and curvature work, not acting in the
    /// environments), summed over all updates.</summary>
    public double UpdateSeconds { get; private set; }

    /// <summary>Managed bytes allocated on the learner's thread during updates (not rollouts), summed over all
    /// updates (<see cref="GC.GetAllocatedBytesForCurrentThread"/>).</summary>
    public long UpdateAllocatedBytes { get; private set; }

    public Rollout Buffer { get; }

    protected System.Random Rng { get; }

    /// <summary>When set (the options' <c>NormalizeReward</c>), each rollout's rewards are scaled by the running
    /// standard deviation of the discounted return before the update sees them (SB3's VecNormalize reward part);
    /// episode returns in <see cref="VectorEnvironment.Episodes"/> stay unscaled.</summary>
    public RewardNormalizer? RewardScaling { get; protected init; }

    /// <summary>The optimizer (its state goes into checkpoints).</summary>
    public abstract Optimizer Optimizer { get; }

    /// <summary>Runs until at least <paramref name="totalTimesteps"/> environment steps (counted over all copies)
    /// have been taken; <paramref name="onUpdate"/> sees every update.</summary>
    public void Learn(long totalTimesteps, Action<UpdateInfo>? onUpdate = null)
    {
        if (totalTimesteps < 1) throw new ArgumentOutOfRangeException(nameof(totalTimesteps), totalTimesteps, "must be positive");
        if (!_started)
        {
            Env.Reset(Seed);
            _started = true;
        }
        long target = Env.TotalSteps + totalTimesteps;
        TotalTimesteps = totalTimesteps;
        while (Env.TotalSteps < target)
        {
            Progress = 1.0 - (double)(target - Env.TotalSteps) / totalTimesteps;
            Buffer.Collect(Policy, Env, Rng);
            RewardScaling?.Normalize(Buffer.Rewards, Buffer.Terminated, Buffer.Truncated, Buffer.Steps);
            long bytes = GC.GetAllocatedBytesForCurrentThread();
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var info = Update();
            Policy.ClampLogStd();
            UpdateSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            UpdateAllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - bytes;
            Updates++;
            onUpdate?.Invoke(info with { Updates = Updates, EnvSteps = Env.TotalSteps });
        }
    }

    /// <summary>The budget of the current <see cref="Learn"/> call.</summary>
    protected long TotalTimesteps { get; private set; }

    /// <summary>Fraction of the current budget used before this rollout, in [0, 1) (for linear schedules:
    /// SB3's progress_remaining = 1 - Progress).</summary>
    protected double Progress { get; private set; }

    /// <summary>One update on the filled <see cref="Buffer"/>.</summary>
    protected abstract UpdateInfo Update();

    /// <summary>Saves policy and optimizer state to one safetensors file, atomically.</summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["updates"] = Updates.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["env_steps"] = Env.TotalSteps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        Checkpoint.Save(path, Policy, Optimizer.ExportState(), meta);
    }
}

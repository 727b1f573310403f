using Kfac.Rl.Environments;

namespace Kfac.Rl.Vector;

/// <summary>
/// N copies of an environment stepped together with automatic reset (Stable-Baselines3's VecEnv semantics,
/// which its A2C / PPO rely on): after <see cref="Step"/> the observation row of an environment whose episode
/// ended is already the first observation of its next episode, and the last observation of the ended episode is
/// kept in <see cref="FinalObservations"/> so a learner can bootstrap V(s_final) when the episode was
/// TRUNCATED (time limit) but not when it TERMINATED. Completed episodes' returns and lengths go to
/// <see cref="Episodes"/>. Environment i is seeded with seed + i at the first reset and continues its own random
/// stream afterwards. Stepping is sequential, or spread over threads with <c>parallel</c> (worth it only when
/// one step costs far more than a thread hand-off).
/// </summary>
public sealed class VectorEnvironment
{
    private readonly Env[] _envs;
    private readonly double[] _runningReturn;
    private readonly int[] _runningLength;
    private readonly StepResult[] _results;
    private bool _started;

    public VectorEnvironment(Func<int, Env> factory, int count, bool parallel = false)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "need at least one environment");
        _envs = new Env[count];
        for (int i = 0; i < count; i++) _envs[i] = factory(i) ?? throw new ArgumentException($"factory returned null for environment {i}", nameof(factory));
        var first = _envs[0];
        for (int i = 1; i < count; i++)
            if (_envs[i].ObservationSize != first.ObservationSize || _envs[i].ActionSpace != first.ActionSpace)
                throw new ArgumentException($"environment {i} ({_envs[i].Id}, {_envs[i].ActionSpace}) differs from environment 0 ({first.Id}, {first.ActionSpace})", nameof(factory));
        Parallel = parallel;
        ObservationSize = first.ObservationSize;
        Observations = new float[count * ObservationSize];
        FinalObservations = new float[count * ObservationSize];
        Rewards = new double[count];
        Terminated = new bool[count];
        Truncated = new bool[count];
        _runningReturn = new double[count];
        _runningLength = new int[count];
        _results = new StepResult[count];
    }

    public int Count => _envs.Length;

    public bool Parallel { get; }

    public Env this[int index] => _envs[index];

    public ActionSpace ActionSpace => _envs[0].ActionSpace;

    public int[] ObservationShape => _envs[0].ObservationShape;

    public int ObservationSize { get; }

    /// <summary>Current observations, row i for environment i ([Count, ObservationSize] row-major).</summary>
    public float[] Observations { get; }

    /// <summary>Row i: the last observation of the episode that ended in the latest step (valid where
    /// Terminated[i] or Truncated[i]).</summary>
    public float[] FinalObservations { get; }

    public double[] Rewards { get; }

    public bool[] Terminated { get; }

    public bool[] Truncated { get; }

    public EpisodeStatistics Episodes { get; } = new();

    /// <summary>Total environment steps taken (sum over the copies).</summary>
    public long TotalSteps { get; private set; }

    public Span<float> Observation(int index) => Observations.AsSpan(index * ObservationSize, ObservationSize);

    /// <summary>Resets every environment, environment i with seed + i.</summary>
    public void Reset(int seed)
    {
        for (int i = 0; i < Count; i++)
        {
            _envs[i].Reset(seed + i, Observation(i));
            _runningReturn[i] = 0;
            _runningLength[i] = 0;
        }
        _started = true;
    }

    /// <summary>Steps every environment with its action (row i of <paramref name="actions"/>, ActionSpace.Dimension
    /// entries each) and resets the ones whose episode ended.</summary>
    public void Step(ReadOnlySpan<double> actions)
    {
        if (!_started) throw new InvalidOperationException("call Reset(seed) before Step");
        int dim = ActionSpace.Dimension;
        if (actions.Length != Count * dim)
            throw new ArgumentException($"actions has {actions.Length} entries, expected {Count} environments x {dim}", nameof(actions));
        if (Parallel)
        {
            var copy = actions.ToArray();
            System.Threading.Tasks.Parallel.For(0, Count, i => StepOne(i, copy.AsSpan(i * dim, dim)));
        }
        else
        {
            for (int i = 0; i < Count; i++) StepOne(i, actions.Slice(i * dim, dim));
        }
        for (int i = 0; i < Count; i++)
        {
            var r = _results[i];
            _runningReturn[i] += r.Reward;
            _runningLength[i]++;
            if (r.Done)
            {
                Episodes.Add(_runningReturn[i], _runningLength[i]);
                _runningReturn[i] = 0;
                _runningLength[i] = 0;
            }
        }
        TotalSteps += Count;
    }

    private void StepOne(int i, ReadOnlySpan<double> action)
    {
        var obs = Observation(i);
        var r = _envs[i].Step(action, obs);
        _results[i] = r;
        Rewards[i] = r.Reward;
        Terminated[i] = r.Terminated;
        Truncated[i] = r.Truncated && !r.Terminated;
        if (r.Done)
        {
            obs.CopyTo(FinalObservations.AsSpan(i * ObservationSize, ObservationSize));
            _envs[i].Reset(null, obs);
        }
    }
}

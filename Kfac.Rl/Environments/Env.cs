namespace Kfac.Rl.Environments;

/// <summary>
/// An episodic environment with gymnasium's API (gymnasium 1.x, <c>Env.reset(seed)</c> / <c>Env.step</c>
/// wrapped in <c>TimeLimit</c>): <see cref="Reset(int?, Span{float})"/> writes the first observation,
/// <see cref="Step(ReadOnlySpan{double}, Span{float})"/> the next one and returns (reward, terminated,
/// truncated). The time limit is part of the environment (<see cref="MaxEpisodeSteps"/>, as registered by
/// gymnasium's <c>make</c>): the step that reaches it reports truncated = true. Observations are float32
/// (gymnasium's observation dtype), the physics is double as in the Python sources.
/// <para>Stepping after the episode ended, or before the first reset, throws (gymnasium's OrderEnforcing).
/// Randomness (start states, sticky actions) comes from one <see cref="System.Random"/> per environment seeded
/// by <c>Reset(seed)</c>; gymnasium's NumPy PCG64 streams are not reproduced, only the distributions.</para>
/// </summary>
public abstract class Env
{
    private bool _needsReset = true;

    protected Env(int maxEpisodeSteps)
    {
        if (maxEpisodeSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxEpisodeSteps), maxEpisodeSteps, "must be positive");
        MaxEpisodeSteps = maxEpisodeSteps;
        Random = new Random(0);
    }

    /// <summary>gymnasium's id, e.g. "CartPole-v1".</summary>
    public abstract string Id { get; }

    /// <summary>Shape of one observation (a vector [n], or [channels, 10, 10] for MinAtar in NCHW order).</summary>
    public abstract int[] ObservationShape { get; }

    /// <summary>Number of floats in one observation.</summary>
    public int ObservationSize => ObservationShape.Aggregate(1, (a, b) => a * b);

    public abstract ActionSpace ActionSpace { get; }

    /// <summary>TimeLimit's max_episode_steps.</summary>
    public int MaxEpisodeSteps { get; }

    /// <summary>Steps taken in the current episode.</summary>
    public int ElapsedSteps { get; private set; }

    /// <summary>The environment's random source (start states, sticky actions).</summary>
    protected Random Random { get; private set; }

    /// <summary>Starts an episode. With a seed the random source is re-created from it (gymnasium's
    /// <c>reset(seed=...)</c>); without one it continues.</summary>
    public void Reset(int? seed, Span<float> observation)
    {
        CheckObservation(observation);
        if (seed is int s) Random = new Random(s);
        ResetCore();
        ElapsedSteps = 0;
        _needsReset = false;
        Observe(observation);
    }

    /// <summary>Allocating convenience form of <see cref="Reset(int?, Span{float})"/>.</summary>
    public float[] Reset(int? seed = null)
    {
        var obs = new float[ObservationSize];
        Reset(seed, obs);
        return obs;
    }

    /// <summary>Advances one step; truncated is set when <see cref="MaxEpisodeSteps"/> is reached.</summary>
    public StepResult Step(ReadOnlySpan<double> action, Span<float> observation)
    {
        CheckObservation(observation);
        if (_needsReset) throw new InvalidOperationException($"{Id}: call Reset before Step (and after an episode ends)");
        ActionSpace.Validate(action, nameof(action));
        var (reward, terminated) = StepCore(action);
        ElapsedSteps++;
        bool truncated = ElapsedSteps >= MaxEpisodeSteps;
        _needsReset = terminated || truncated;
        Observe(observation);
        return new StepResult(reward, terminated, truncated);
    }

    /// <summary>Allocating convenience form for a discrete action.</summary>
    public (float[] Observation, StepResult Result) Step(int action)
    {
        var obs = new float[ObservationSize];
        var r = Step([action], obs);
        return (obs, r);
    }

    /// <summary>Allocating convenience form for a continuous action.</summary>
    public (float[] Observation, StepResult Result) Step(double[] action)
    {
        var obs = new float[ObservationSize];
        var r = Step(action, obs);
        return (obs, r);
    }

    /// <summary>Draws the start state.</summary>
    protected abstract void ResetCore();

    /// <summary>One transition of the underlying (un-time-limited) environment: (reward, terminated).</summary>
    protected abstract (double Reward, bool Terminated) StepCore(ReadOnlySpan<double> action);

    /// <summary>Writes the current observation.</summary>
    protected abstract void Observe(Span<float> observation);

    /// <summary>Uniform draw in [low, high) (NumPy's <c>uniform</c>).</summary>
    protected double Uniform(double low, double high) => low + (high - low) * Random.NextDouble();

    /// <summary>Puts the environment into a given (valid) internal state mid-episode, for tests and
    /// analyses; the episode step counter restarts at 0.</summary>
    protected void MarkStarted()
    {
        ElapsedSteps = 0;
        _needsReset = false;
    }

    private void CheckObservation(Span<float> observation)
    {
        if (observation.Length != ObservationSize)
            throw new ArgumentException($"{Id}: observation buffer has {observation.Length} floats, needs {ObservationSize} ({string.Join("x", ObservationShape)})", nameof(observation));
    }
}

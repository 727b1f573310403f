namespace Kfac.Rl.Environments;

/// <summary>
/// MountainCarContinuous-v0 exactly as gymnasium 1.x (gymnasium/envs/classic_control/continuous_mountain_car.py,
/// Farama-Foundation/Gymnasium commit f0fcd8fb). force = clip(a, -1, 1);
/// v' = clip(v + 0.0015 force - 0.0025 cos(3 x), -0.07, 0.07); x' = clip(x + v', -1.2, 0.6); v' = 0 when
/// x' = -1.2 and v' &lt; 0. Terminated when x' &gt;= 0.45 and v' &gt;= 0; reward 100 on termination minus 0.1 a^2
/// with the UNCLIPPED action (as the source); time limit 999. The state is stored as float32 after each step
/// and at reset, as gymnasium does (arithmetic within a step in double, NumPy 1.x promotion). Start position
/// uniform in [-0.6, -0.4), velocity 0.
/// </summary>
public sealed class MountainCarContinuous : Env
{
    public const double MinAction = -1.0;
    public const double MaxAction = 1.0;
    public const double MinPosition = -1.2;
    public const double MaxPosition = 0.6;
    public const double MaxSpeed = 0.07;
    public const double GoalPosition = 0.45;
    public const double GoalVelocity = 0.0;
    public const double Power = 0.0015;

    private float _position, _velocity;

    public MountainCarContinuous(int maxEpisodeSteps = 999) : base(maxEpisodeSteps) { }

    public override string Id => "MountainCarContinuous-v0";

    public override int[] ObservationShape => [2];

    public override ActionSpace ActionSpace { get; } = ActionSpace.Box(MinAction, MaxAction, 1);

    public (float Position, float Velocity) State => (_position, _velocity);

    public void SetState(float position, float velocity)
    {
        _position = position;
        _velocity = velocity;
        MarkStarted();
    }

    protected override void ResetCore()
    {
        _position = (float)Uniform(-0.6, -0.4);
        _velocity = 0;
    }

    protected override (double Reward, bool Terminated) StepCore(ReadOnlySpan<double> action)
    {
        double position = _position, velocity = _velocity;
        double force = Math.Min(Math.Max(action[0], MinAction), MaxAction);
        velocity += force * Power - 0.0025 * Math.Cos(3 * position);
        if (velocity > MaxSpeed) velocity = MaxSpeed;
        if (velocity < -MaxSpeed) velocity = -MaxSpeed;
        position += velocity;
        if (position > MaxPosition) position = MaxPosition;
        if (position < MinPosition) position = MinPosition;
        if (position == MinPosition && velocity < 0) velocity = 0;
        bool terminated = position >= GoalPosition && velocity >= GoalVelocity;
        double reward = terminated ? 100.0 : 0.0;
        reward -= action[0] * action[0] * 0.1;
        _position = (float)position;
        _velocity = (float)velocity;
        return (reward, terminated);
    }

    protected override void Observe(Span<float> observation)
    {
        observation[0] = _position;
        observation[1] = _velocity;
    }
}

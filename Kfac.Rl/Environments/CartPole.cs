namespace Kfac.Rl.Environments;

/// <summary>
/// CartPole-v1 exactly as gymnasium 1.x (gymnasium/envs/classic_control/cartpole.py, Farama-Foundation/Gymnasium
/// commit 4b96acf5; Barto, Sutton &amp; Anderson 1983). Actions: 0 pushes left, 1 right with |F| = 10 N. Explicit
/// Euler with tau = 0.02 s on
///   temp = (F + m_p l thetadot^2 sin theta) / (m_c + m_p),
///   thetaacc = (g sin theta - cos theta temp) / (l (4/3 - m_p cos^2 theta / (m_c + m_p))),
///   xacc = temp - m_p l thetaacc cos theta / (m_c + m_p),
/// then x += tau xdot, xdot += tau xacc, theta += tau thetadot, thetadot += tau thetaacc (positions first, from
/// the old velocities). g = 9.8, m_c = 1, m_p = 0.1, l = 0.5 (half the pole). Terminated when |x| &gt; 2.4 or
/// |theta| &gt; 12 * 2 pi / 360; reward +1 on every step including the terminating one; time limit 500.
/// Start state uniform in (-0.05, 0.05)^4.
/// </summary>
public sealed class CartPole : Env
{
    public const double Gravity = 9.8;
    public const double MassCart = 1.0;
    public const double MassPole = 0.1;
    public const double TotalMass = MassPole + MassCart;
    public const double Length = 0.5;
    public const double PoleMassLength = MassPole * Length;
    public const double ForceMag = 10.0;
    public const double Tau = 0.02;
    public const double ThetaThreshold = 12 * 2 * Math.PI / 360;
    public const double XThreshold = 2.4;

    private readonly double[] _state = new double[4];

    public CartPole(int maxEpisodeSteps = 500) : base(maxEpisodeSteps) { }

    public override string Id => "CartPole-v1";

    public override int[] ObservationShape => [4];

    public override ActionSpace ActionSpace { get; } = ActionSpace.Discrete(2);

    /// <summary>(x, xdot, theta, thetadot) in double.</summary>
    public ReadOnlySpan<double> State => _state;

    /// <summary>Starts an episode from a given state (tests; gymnasium's <c>env.unwrapped.state = ...</c>).</summary>
    public void SetState(double x, double xDot, double theta, double thetaDot)
    {
        _state[0] = x; _state[1] = xDot; _state[2] = theta; _state[3] = thetaDot;
        MarkStarted();
    }

    protected override void ResetCore()
    {
        for (int i = 0; i < 4; i++) _state[i] = Uniform(-0.05, 0.05);
    }

    protected override (double Reward, bool Terminated) StepCore(ReadOnlySpan<double> action)
    {
        double x = _state[0], xDot = _state[1], theta = _state[2], thetaDot = _state[3];
        double force = action[0] == 1 ? ForceMag : -ForceMag;
        double cos = Math.Cos(theta), sin = Math.Sin(theta);
        double temp = (force + PoleMassLength * thetaDot * thetaDot * sin) / TotalMass;
        double thetaAcc = (Gravity * sin - cos * temp) / (Length * (4.0 / 3.0 - MassPole * cos * cos / TotalMass));
        double xAcc = temp - PoleMassLength * thetaAcc * cos / TotalMass;
        _state[0] = x + Tau * xDot;
        _state[1] = xDot + Tau * xAcc;
        _state[2] = theta + Tau * thetaDot;
        _state[3] = thetaDot + Tau * thetaAcc;
        bool terminated = _state[0] < -XThreshold || _state[0] > XThreshold || _state[2] < -ThetaThreshold || _state[2] > ThetaThreshold;
        return (1.0, terminated);
    }

    protected override void Observe(Span<float> observation)
    {
        for (int i = 0; i < 4; i++) observation[i] = (float)_state[i];
    }
}

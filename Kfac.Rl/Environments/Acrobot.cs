namespace Kfac.Rl.Environments;

/// <summary>
/// Acrobot-v1 exactly as gymnasium 1.x (gymnasium/envs/classic_control/acrobot.py, Farama-Foundation/Gymnasium
/// commit 9fa9225b; Sutton 1996, the book's dynamics, <c>book_or_nips = "book"</c>). State (theta1, theta2,
/// dtheta1, dtheta2); actions 0, 1, 2 apply torque -1, 0, +1 at the joint (no torque noise). One step is one
/// classical RK4 step of length dt = 0.2 on the equations of <see cref="Derivatives"/> (gymnasium's <c>rk4</c>
/// with t = [0, dt]), then the angles are wrapped into [-pi, pi] and the velocities clipped to 4 pi and 9 pi.
/// Terminated when -cos(theta1) - cos(theta1 + theta2) &gt; 1; reward -1 per step, 0 on the terminating step;
/// time limit 500. Start state uniform in (-0.1, 0.1)^4, stored as float32 as gymnasium does.
/// Observation (cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2).
/// </summary>
public sealed class Acrobot : Env
{
    public const double Dt = 0.2;
    public const double LinkLength1 = 1.0;
    public const double LinkMass1 = 1.0;
    public const double LinkMass2 = 1.0;
    public const double LinkComPos1 = 0.5;
    public const double LinkComPos2 = 0.5;
    public const double LinkMoi = 1.0;
    public const double MaxVel1 = 4 * Math.PI;
    public const double MaxVel2 = 9 * Math.PI;
    public const double G = 9.8;

    private static readonly double[] AvailableTorque = [-1.0, 0.0, 1.0];

    private readonly double[] _state = new double[4];

    public Acrobot(int maxEpisodeSteps = 500) : base(maxEpisodeSteps) { }

    public override string Id => "Acrobot-v1";

    public override int[] ObservationShape => [6];

    public override ActionSpace ActionSpace { get; } = ActionSpace.Discrete(3);

    public ReadOnlySpan<double> State => _state;

    public void SetState(double theta1, double theta2, double dTheta1, double dTheta2)
    {
        _state[0] = theta1; _state[1] = theta2; _state[2] = dTheta1; _state[3] = dTheta2;
        MarkStarted();
    }

    protected override void ResetCore()
    {
        for (int i = 0; i < 4; i++) _state[i] = (float)Uniform(-0.1, 0.1);
    }

    protected override (double Reward, bool Terminated) StepCore(ReadOnlySpan<double> action)
    {
        double torque = AvailableTorque[(int)action[0]];
        Span<double> y = stackalloc double[4];
        Span<double> k1 = stackalloc double[4], k2 = stackalloc double[4], k3 = stackalloc double[4], k4 = stackalloc double[4];
        Span<double> tmp = stackalloc double[4];
        _state.CopyTo(y);
        // gymnasium's rk4(derivs, y0, [0, dt]): k1 = f(y0), k2 = f(y0 + dt/2 k1), k3 = f(y0 + dt/2 k2),
        // k4 = f(y0 + dt k3), y1 = y0 + dt/6 (k1 + 2 k2 + 2 k3 + k4).
        const double dt2 = Dt / 2.0;
        Derivatives(y, torque, k1);
        for (int i = 0; i < 4; i++) tmp[i] = y[i] + dt2 * k1[i];
        Derivatives(tmp, torque, k2);
        for (int i = 0; i < 4; i++) tmp[i] = y[i] + dt2 * k2[i];
        Derivatives(tmp, torque, k3);
        for (int i = 0; i < 4; i++) tmp[i] = y[i] + Dt * k3[i];
        Derivatives(tmp, torque, k4);
        for (int i = 0; i < 4; i++) _state[i] = y[i] + Dt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        _state[0] = Wrap(_state[0], -Math.PI, Math.PI);
        _state[1] = Wrap(_state[1], -Math.PI, Math.PI);
        _state[2] = Math.Min(Math.Max(_state[2], -MaxVel1), MaxVel1);
        _state[3] = Math.Min(Math.Max(_state[3], -MaxVel2), MaxVel2);
        bool terminated = -Math.Cos(_state[0]) - Math.Cos(_state[1] + _state[0]) > 1.0;
        return (terminated ? 0.0 : -1.0, terminated);
    }

    /// <summary>The book's equations of motion (gymnasium's <c>_dsdt</c>, I1 = I2 = 1):
    /// d1 = m1 lc1^2 + m2 (l1^2 + lc2^2 + 2 l1 lc2 cos th2) + I1 + I2, d2 = m2 (lc2^2 + l1 lc2 cos th2) + I2,
    /// phi2 = m2 lc2 g cos(th1 + th2 - pi/2),
    /// phi1 = -m2 l1 lc2 dth2^2 sin th2 - 2 m2 l1 lc2 dth2 dth1 sin th2 + (m1 lc1 + m2 l1) g cos(th1 - pi/2) + phi2,
    /// ddth2 = (a + d2/d1 phi1 - m2 l1 lc2 dth1^2 sin th2 - phi2) / (m2 lc2^2 + I2 - d2^2/d1),
    /// ddth1 = -(d2 ddth2 + phi1) / d1.</summary>
    internal static void Derivatives(ReadOnlySpan<double> s, double a, Span<double> ds)
    {
        const double m1 = LinkMass1, m2 = LinkMass2, l1 = LinkLength1, lc1 = LinkComPos1, lc2 = LinkComPos2, i1 = LinkMoi, i2 = LinkMoi;
        double theta1 = s[0], theta2 = s[1], dTheta1 = s[2], dTheta2 = s[3];
        double d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * Math.Cos(theta2)) + i1 + i2;
        double d2 = m2 * (lc2 * lc2 + l1 * lc2 * Math.Cos(theta2)) + i2;
        double phi2 = m2 * lc2 * G * Math.Cos(theta1 + theta2 - Math.PI / 2.0);
        double phi1 = -m2 * l1 * lc2 * dTheta2 * dTheta2 * Math.Sin(theta2)
                      - 2 * m2 * l1 * lc2 * dTheta2 * dTheta1 * Math.Sin(theta2)
                      + (m1 * lc1 + m2 * l1) * G * Math.Cos(theta1 - Math.PI / 2)
                      + phi2;
        double ddTheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dTheta1 * dTheta1 * Math.Sin(theta2) - phi2)
                          / (m2 * lc2 * lc2 + i2 - d2 * d2 / d1);
        double ddTheta1 = -(d2 * ddTheta2 + phi1) / d1;
        ds[0] = dTheta1; ds[1] = dTheta2; ds[2] = ddTheta1; ds[3] = ddTheta2;
    }

    /// <summary>gymnasium's <c>wrap</c>: shifts x by (M - m) until m &lt;= x &lt;= M.</summary>
    internal static double Wrap(double x, double m, double max)
    {
        double diff = max - m;
        while (x > max) x -= diff;
        while (x < m) x += diff;
        return x;
    }

    protected override void Observe(Span<float> observation)
    {
        observation[0] = (float)Math.Cos(_state[0]);
        observation[1] = (float)Math.Sin(_state[0]);
        observation[2] = (float)Math.Cos(_state[1]);
        observation[3] = (float)Math.Sin(_state[1]);
        observation[4] = (float)_state[2];
        observation[5] = (float)_state[3];
    }
}

namespace Kfac.Rl.Environments;

/// <summary>
/// Pendulum-v1 exactly as gymnasium 1.x (gymnasium/envs/classic_control/pendulum.py, Farama-Foundation/Gymnasium
/// commit 9e061130). State (theta, thetadot), theta = 0 upright. Torque u = clip(a, -2, 2);
/// cost = normalize(theta)^2 + 0.1 thetadot^2 + 0.001 u^2 with normalize(x) = ((x + pi) mod 2 pi) - pi
/// (Python's floored modulo); semi-implicit Euler with dt = 0.05, g = 10, m = l = 1:
/// thetadot' = clip(thetadot + (3 g / (2 l) sin theta + 3 / (m l^2) u) dt, -8, 8), theta' = theta + thetadot' dt.
/// Reward = -cost; never terminates; time limit 200. Start state uniform in [-pi, pi] x [-1, 1].
/// Observation (cos theta, sin theta, thetadot).
/// </summary>
public sealed class Pendulum : Env
{
    public const double MaxSpeed = 8;
    public const double MaxTorque = 2.0;
    public const double Dt = 0.05;
    public const double G = 10.0;
    public const double M = 1.0;
    public const double L = 1.0;

    private double _theta, _thetaDot;

    public Pendulum(int maxEpisodeSteps = 200) : base(maxEpisodeSteps) { }

    public override string Id => "Pendulum-v1";

    public override int[] ObservationShape => [3];

    public override ActionSpace ActionSpace { get; } = ActionSpace.Box(-MaxTorque, MaxTorque, 1);

    public (double Theta, double ThetaDot) State => (_theta, _thetaDot);

    public void SetState(double theta, double thetaDot)
    {
        _theta = theta;
        _thetaDot = thetaDot;
        MarkStarted();
    }

    protected override void ResetCore()
    {
        _theta = Uniform(-Math.PI, Math.PI);
        _thetaDot = Uniform(-1.0, 1.0);
    }

    protected override (double Reward, bool Terminated) StepCore(ReadOnlySpan<double> action)
    {
        double u = Math.Clamp(action[0], -MaxTorque, MaxTorque);
        double th = _theta, thDot = _thetaDot;
        double normalized = AngleNormalize(th);
        double cost = normalized * normalized + 0.1 * thDot * thDot + 0.001 * (u * u);
        double newThDot = thDot + (3 * G / (2 * L) * Math.Sin(th) + 3.0 / (M * L * L) * u) * Dt;
        newThDot = Math.Clamp(newThDot, -MaxSpeed, MaxSpeed);
        _theta = th + newThDot * Dt;
        _thetaDot = newThDot;
        return (-cost, false);
    }

    /// <summary>((x + pi) mod 2 pi) - pi with Python's floored modulo (result in [-pi, pi)).</summary>
    internal static double AngleNormalize(double x)
    {
        const double twoPi = 2 * Math.PI;
        double y = x + Math.PI;
        double r = y - twoPi * Math.Floor(y / twoPi);
        if (r >= twoPi) r -= twoPi;
        return r - Math.PI;
    }

    protected override void Observe(Span<float> observation)
    {
        observation[0] = (float)Math.Cos(_theta);
        observation[1] = (float)Math.Sin(_theta);
        observation[2] = (float)_thetaDot;
    }
}

using Kfac.Rl.Environments;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>
/// The classic-control environments against an independent transcription (here, in double) of gymnasium 1.x's
/// published equations and constants (Farama-Foundation/Gymnasium, gymnasium/envs/classic_control: cartpole.py
/// at 4b96acf5, acrobot.py at 9fa9225b, pendulum.py at 9e061130, continuous_mountain_car.py at f0fcd8fb):
/// given a start state and an action sequence, every state, reward and flag must agree to 1e-6.
/// </summary>
public class ClassicControlTests
{
    private const double Tolerance = 1e-6;

    // ---- reference transcriptions (deliberately written as plain functions on arrays) ----

    private static (double[] Next, double Reward, bool Terminated) CartPoleRef(double[] s, int action)
    {
        double g = 9.8, mc = 1.0, mp = 0.1, total = mp + mc, halfLength = 0.5, pml = mp * halfLength, tau = 0.02;
        double f = action == 1 ? 10.0 : -10.0;
        double c = Math.Cos(s[2]), sn = Math.Sin(s[2]);
        double temp = (f + pml * s[3] * s[3] * sn) / total;
        double thetaAcc = (g * sn - c * temp) / (halfLength * (4.0 / 3.0 - mp * c * c / total));
        double xAcc = temp - pml * thetaAcc * c / total;
        var n = new[] { s[0] + tau * s[1], s[1] + tau * xAcc, s[2] + tau * s[3], s[3] + tau * thetaAcc };
        double thetaLimit = 12 * 2 * Math.PI / 360;
        bool done = n[0] < -2.4 || n[0] > 2.4 || n[2] < -thetaLimit || n[2] > thetaLimit;
        return (n, 1.0, done);
    }

    private static double[] AcrobotDsdt(double[] s, double a)
    {
        double m1 = 1, m2 = 1, l1 = 1, lc1 = 0.5, lc2 = 0.5, i1 = 1, i2 = 1, g = 9.8;
        double d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * Math.Cos(s[1])) + i1 + i2;
        double d2 = m2 * (lc2 * lc2 + l1 * lc2 * Math.Cos(s[1])) + i2;
        double phi2 = m2 * lc2 * g * Math.Cos(s[0] + s[1] - Math.PI / 2);
        double phi1 = -m2 * l1 * lc2 * s[3] * s[3] * Math.Sin(s[1]) - 2 * m2 * l1 * lc2 * s[3] * s[2] * Math.Sin(s[1])
                      + (m1 * lc1 + m2 * l1) * g * Math.Cos(s[0] - Math.PI / 2) + phi2;
        double dd2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * s[2] * s[2] * Math.Sin(s[1]) - phi2) / (m2 * lc2 * lc2 + i2 - d2 * d2 / d1);
        double dd1 = -(d2 * dd2 + phi1) / d1;
        return [s[2], s[3], dd1, dd2];
    }

    private static double[] Rk4(Func<double[], double[]> f, double[] y, double h)
    {
        double[] Add(double[] u, double[] v, double w) => u.Select((ui, i) => ui + w * v[i]).ToArray();
        var k1 = f(y);
        var k2 = f(Add(y, k1, h / 2));
        var k3 = f(Add(y, k2, h / 2));
        var k4 = f(Add(y, k3, h));
        return y.Select((yi, i) => yi + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i])).ToArray();
    }

    private static (double[] Next, double Reward, bool Terminated) AcrobotRef(double[] s, int action)
    {
        double torque = new[] { -1.0, 0.0, 1.0 }[action];
        var n = Rk4(y => AcrobotDsdt(y, torque), s, 0.2);
        static double WrapPi(double x)
        {
            while (x > Math.PI) x -= 2 * Math.PI;
            while (x < -Math.PI) x += 2 * Math.PI;
            return x;
        }
        n[0] = WrapPi(n[0]);
        n[1] = WrapPi(n[1]);
        n[2] = Math.Min(Math.Max(n[2], -4 * Math.PI), 4 * Math.PI);
        n[3] = Math.Min(Math.Max(n[3], -9 * Math.PI), 9 * Math.PI);
        bool done = -Math.Cos(n[0]) - Math.Cos(n[1] + n[0]) > 1.0;
        return (n, done ? 0.0 : -1.0, done);
    }

    private static (double[] Next, double Reward) PendulumRef(double[] s, double action)
    {
        double u = Math.Min(Math.Max(action, -2), 2);
        double norm = s[0] + Math.PI;
        norm -= 2 * Math.PI * Math.Floor(norm / (2 * Math.PI));
        norm -= Math.PI;
        double cost = norm * norm + 0.1 * s[1] * s[1] + 0.001 * u * u;
        double thDot = Math.Min(Math.Max(s[1] + (3 * 10.0 / 2 * Math.Sin(s[0]) + 3.0 * u) * 0.05, -8), 8);
        return ([s[0] + thDot * 0.05, thDot], -cost);
    }

    private static (double[] Next, double Reward, bool Terminated) MountainCarRef(double[] s, double action)
    {
        double force = Math.Min(Math.Max(action, -1), 1);
        double v = Math.Min(Math.Max(s[1] + force * 0.0015 - 0.0025 * Math.Cos(3 * s[0]), -0.07), 0.07);
        double x = Math.Min(Math.Max(s[0] + v, -1.2), 0.6);
        if (x == -1.2 && v < 0) v = 0;
        bool done = x >= 0.45 && v >= 0;
        double reward = (done ? 100.0 : 0.0) - 0.1 * action * action;
        return ([(float)x, (float)v], reward, done);
    }

    // ---- comparisons ----

    private static void AssertClose(ReadOnlySpan<double> actual, double[] expected, int step, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(Tolerance), $"{what} step {step}, state[{i}]");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void CartPoleFollowsGymnasiumEquations(int seed)
    {
        var rng = new Random(seed);
        var env = new CartPole();
        double[] s = [0.03, -0.02, 0.04, 0.01];
        for (int i = 0; i < 4; i++) s[i] += 0.01 * (rng.NextDouble() - 0.5);
        env.SetState(s[0], s[1], s[2], s[3]);
        int steps = 0;
        for (; steps < 500; steps++)
        {
            int a = rng.Next(2);
            var (next, reward, done) = CartPoleRef(s, a);
            var (obs, r) = env.Step(a);
            AssertClose(env.State, next, steps, "CartPole");
            for (int i = 0; i < 4; i++) Assert.That(obs[i], Is.EqualTo((float)next[i]), $"observation step {steps}");
            Assert.That(r.Reward, Is.EqualTo(reward));
            Assert.That(r.Terminated, Is.EqualTo(done), $"terminated at step {steps}");
            Assert.That(r.Truncated, Is.False);
            s = next;
            if (done) break;
        }
        Assert.That(steps, Is.LessThan(500), "a random policy should drop the pole");
    }

    [Test]
    public void CartPoleTruncatesAt500StepsAndTerminationCanCoincide()
    {
        var env = new CartPole();
        env.Reset(seed: 0);
        // A stabilising bang-bang controller (push toward the pole's lean) keeps the pole up for 500 steps.
        StepResult r = default;
        int steps = 0;
        while (true)
        {
            var s = env.State;
            int a = s[2] + 0.5 * s[3] > 0 ? 1 : 0;
            (_, r) = env.Step(a);
            steps++;
            if (r.Done) break;
        }
        Assert.That(steps, Is.EqualTo(500));
        Assert.That(r.Truncated, Is.True);
        Assert.Throws<InvalidOperationException>(() => env.Step(0));
    }

    [TestCase(4)]
    [TestCase(5)]
    public void AcrobotFollowsGymnasiumEquations(int seed)
    {
        var rng = new Random(seed);
        var env = new Acrobot();
        double[] s = [0.05, -0.07, 0.02, 0.09];
        env.SetState(s[0], s[1], s[2], s[3]);
        bool terminatedSeen = false, wrapped = false;
        for (int step = 0; step < 500; step++)
        {
            // Torque with the sign of the second joint's velocity most of the time (pumps energy), so the trajectory
            // reaches the wrap-around, the velocity clips and the terminal height.
            int a = rng.NextDouble() < 0.9 ? (s[3] > 0 ? 2 : 0) : rng.Next(3);
            var (next, reward, done) = AcrobotRef(s, a);
            var (obs, r) = env.Step(a);
            AssertClose(env.State, next, step, "Acrobot");
            Assert.That(obs[0], Is.EqualTo(Math.Cos(next[0])).Within(1e-6));
            Assert.That(obs[3], Is.EqualTo(Math.Sin(next[1])).Within(1e-6));
            Assert.That(r.Reward, Is.EqualTo(reward));
            Assert.That(r.Terminated, Is.EqualTo(done), $"terminated at step {step}");
            wrapped |= Math.Abs(next[0] - s[0]) > Math.PI || Math.Abs(next[1] - s[1]) > Math.PI;
            s = next;
            if (done) { terminatedSeen = true; break; }
        }
        Assert.That(terminatedSeen, Is.True, "the energy-pumping policy should reach the target height");
        Assert.That(wrapped, Is.True, "the trajectory should cross the angle wrap-around");
    }

    [Test]
    public void AcrobotResetIsFloat32UniformInRange()
    {
        var env = new Acrobot();
        for (int seed = 0; seed < 50; seed++)
        {
            env.Reset(seed);
            foreach (var v in env.State)
            {
                Assert.That(Math.Abs(v), Is.LessThan(0.1));
                Assert.That(v, Is.EqualTo((double)(float)v));
            }
        }
    }

    [TestCase(6)]
    [TestCase(7)]
    public void PendulumFollowsGymnasiumEquationsAndTruncatesAt200(int seed)
    {
        var rng = new Random(seed);
        var env = new Pendulum();
        double[] s = [2.5, -0.8];
        env.SetState(s[0], s[1]);
        for (int step = 0; step < 200; step++)
        {
            double a = 5 * (rng.NextDouble() - 0.5); // in [-2.5, 2.5): exercises the torque clip
            var (next, reward) = PendulumRef(s, a);
            var (obs, r) = env.Step([a]);
            AssertClose([env.State.Theta, env.State.ThetaDot], next, step, "Pendulum");
            Assert.That(r.Reward, Is.EqualTo(reward).Within(Tolerance));
            Assert.That(obs[2], Is.EqualTo((float)next[1]));
            Assert.That(r.Terminated, Is.False);
            Assert.That(r.Truncated, Is.EqualTo(step == 199));
            s = next;
        }
    }

    [Test]
    public void PendulumAngleNormalizationIsPythonModulo()
    {
        Assert.That(Pendulum.AngleNormalize(Math.PI), Is.EqualTo(-Math.PI).Within(1e-15));
        Assert.That(Pendulum.AngleNormalize(-Math.PI), Is.EqualTo(-Math.PI).Within(1e-15));
        Assert.That(Pendulum.AngleNormalize(7.0), Is.EqualTo(7.0 - 2 * Math.PI).Within(1e-12));
        Assert.That(Pendulum.AngleNormalize(-7.0), Is.EqualTo(-7.0 + 2 * Math.PI).Within(1e-12));
    }

    [Test]
    public void MountainCarContinuousFollowsGymnasiumEquations()
    {
        var rng = new Random(8);
        var env = new MountainCarContinuous();
        double[] s = [(float)-0.5234, 0];
        env.SetState((float)s[0], 0);
        bool terminatedSeen = false;
        for (int step = 0; step < 999; step++)
        {
            // Push with the velocity (plus noise beyond the bounds) to reach the goal: exercises the left wall,
            // the action clip and the terminal reward.
            double a = (s[1] >= 0 ? 1.2 : -1.2) + 0.3 * (rng.NextDouble() - 0.5);
            var (next, reward, done) = MountainCarRef(s, a);
            var (obs, r) = env.Step([a]);
            AssertClose([env.State.Position, env.State.Velocity], next, step, "MountainCarContinuous");
            Assert.That(obs[0], Is.EqualTo((float)next[0]));
            Assert.That(r.Reward, Is.EqualTo(reward).Within(Tolerance));
            Assert.That(r.Terminated, Is.EqualTo(done));
            s = next;
            if (done) { terminatedSeen = true; Assert.That(r.Reward, Is.GreaterThan(99)); break; }
        }
        Assert.That(terminatedSeen, Is.True);
    }

    [Test]
    public void ResetIsDeterministicGivenTheSeedAndWithinGymnasiumBounds()
    {
        var a = new CartPole();
        var b = new CartPole();
        Assert.That(a.Reset(42), Is.EqualTo(b.Reset(42)));
        Assert.That(a.Reset(43), Is.Not.EqualTo(b.Reset(42)));
        var mc = new MountainCarContinuous();
        for (int seed = 0; seed < 50; seed++)
        {
            var o = mc.Reset(seed);
            Assert.That(o[0], Is.InRange(-0.6f, -0.4f));
            Assert.That(o[1], Is.EqualTo(0f));
        }
        var p = new Pendulum();
        for (int seed = 0; seed < 50; seed++)
        {
            p.Reset(seed);
            Assert.That(Math.Abs(p.State.Theta), Is.LessThanOrEqualTo(Math.PI));
            Assert.That(Math.Abs(p.State.ThetaDot), Is.LessThanOrEqualTo(1));
        }
    }

    [Test]
    public void BadActionsAndBuffersAreRejectedWithTheSpaceNamed()
    {
        var env = new CartPole();
        env.Reset(0);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => env.Step(2));
        Assert.That(ex!.Message, Does.Contain("Discrete(2)"));
        Assert.Catch<ArgumentException>(() => env.Step([0.5]));
        Assert.Catch<ArgumentException>(() => env.Reset(0, new float[3]));
        var p = new Pendulum();
        p.Reset(0);
        Assert.Catch<ArgumentException>(() => p.Step([double.NaN]));
        Assert.Throws<InvalidOperationException>(() => new Acrobot().Step(0));
    }
}

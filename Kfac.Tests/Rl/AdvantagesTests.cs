using Kfac.Rl.Returns;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>n-step returns and GAE against a hand computation with a termination and a truncation (bootstrapping
/// only on the truncation), and the identity GAE(lambda = 1) advantages + V = n-step returns.</summary>
public class AdvantagesTests
{
    // T = 4 steps, N = 2 environments, row-major [t, env]. Env 0 terminates at t = 1 and is truncated at t = 3
    // (V(s_final) = 2.0); env 1 runs through and bootstraps from V(s_T) = 1.5.
    private static readonly double[] Rewards = [1, 0, 2, 0, 3, 0, 4, 1];
    private static readonly double[] Values = [0.5, 1, 0.6, 1, 0.7, 1, 0.8, 1];
    private static readonly bool[] Terminated = [false, false, true, false, false, false, false, false];
    private static readonly bool[] Truncated = [false, false, false, false, false, false, true, false];
    private static readonly double[] FinalValues = [0, 0, 0, 0, 0, 0, 2.0, 0];
    private static readonly double[] LastValues = [9.0, 1.5]; // env 0's 9.0 must not be used: its last step is truncated

    [Test]
    public void GaeMatchesHandComputation()
    {
        var adv = new double[8];
        var ret = new double[8];
        Advantages.Gae(Rewards, Values, Terminated, Truncated, FinalValues, LastValues, 4, 2, 0.9, 0.8, adv, ret);
        // Env 0 (gamma lambda = 0.72):
        //   t3 truncated: delta = 4 + 0.9 * 2.0 - 0.8 = 5.0, A = 5.0
        //   t2: delta = 3 + 0.9 * 0.8 - 0.7 = 3.02, A = 3.02 + 0.72 * 5.0 = 6.62
        //   t1 terminated: delta = 2 - 0.6 = 1.4, A = 1.4
        //   t0: delta = 1 + 0.9 * 0.6 - 0.5 = 1.04, A = 1.04 + 0.72 * 1.4 = 2.048
        // Env 1: t3: delta = 1 + 0.9 * 1.5 - 1 = 1.35; then delta = -0.1 and A = -0.1 + 0.72 A_next.
        double[] expected0 = [2.048, 1.4, 6.62, 5.0];
        double[] expected1 = [-0.1 + 0.72 * (-0.1 + 0.72 * (-0.1 + 0.72 * 1.35)), -0.1 + 0.72 * (-0.1 + 0.72 * 1.35), -0.1 + 0.72 * 1.35, 1.35];
        for (int t = 0; t < 4; t++)
        {
            Assert.That(adv[t * 2], Is.EqualTo(expected0[t]).Within(1e-12), $"env 0, t {t}");
            Assert.That(adv[t * 2 + 1], Is.EqualTo(expected1[t]).Within(1e-12), $"env 1, t {t}");
            Assert.That(ret[t * 2], Is.EqualTo(expected0[t] + Values[t * 2]).Within(1e-12));
        }
    }

    [Test]
    public void NStepReturnsMatchHandComputation()
    {
        var ret = new double[8];
        Advantages.NStep(Rewards, Terminated, Truncated, FinalValues, LastValues, 4, 2, 0.9, ret);
        // Env 0: R3 = 4 + 0.9 * 2.0 = 5.8 (truncation bootstrap), R2 = 3 + 0.9 * 5.8 = 8.22, R1 = 2 (terminal),
        // R0 = 1 + 0.9 * 2 = 2.8. Env 1: R3 = 1 + 0.9 * 1.5 = 2.35, R2 = 2.115, R1 = 1.9035, R0 = 1.71315.
        double[] expected = [2.8, 1.71315, 2.0, 1.9035, 8.22, 2.115, 5.8, 2.35];
        for (int i = 0; i < 8; i++) Assert.That(ret[i], Is.EqualTo(expected[i]).Within(1e-12), $"index {i}");
    }

    [Test]
    public void GaeWithLambdaOneGivesNStepReturns()
    {
        var rng = new Random(3);
        int steps = 7, envs = 5, n = steps * envs;
        for (int trial = 0; trial < 20; trial++)
        {
            var r = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var v = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var term = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.15).ToArray();
            var trunc = term.Select(t => !t && rng.NextDouble() < 0.15).ToArray();
            var fin = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 3).ToArray();
            var last = Enumerable.Range(0, envs).Select(_ => rng.NextDouble()).ToArray();
            var adv = new double[n];
            var gaeReturns = new double[n];
            var nStep = new double[n];
            Advantages.Gae(r, v, term, trunc, fin, last, steps, envs, 0.97, 1.0, adv, gaeReturns);
            Advantages.NStep(r, term, trunc, fin, last, steps, envs, 0.97, nStep);
            for (int i = 0; i < n; i++) Assert.That(gaeReturns[i], Is.EqualTo(nStep[i]).Within(1e-12));
        }
    }

    [Test]
    public void LambdaZeroIsTheOneStepTdError()
    {
        var adv = new double[8];
        var ret = new double[8];
        Advantages.Gae(Rewards, Values, Terminated, Truncated, FinalValues, LastValues, 4, 2, 0.9, 0.0, adv, ret);
        Assert.That(adv[2 * 2], Is.EqualTo(3.02).Within(1e-12));
        Assert.That(adv[3 * 2 + 1], Is.EqualTo(1.35).Within(1e-12));
    }

    [Test]
    public void NormalizeGivesZeroMeanUnitStd()
    {
        double[] a = [1, 2, 3, 4, 10];
        Advantages.Normalize(a);
        Assert.That(a.Average(), Is.EqualTo(0).Within(1e-12));
        Assert.That(Math.Sqrt(a.Select(x => x * x).Average()), Is.EqualTo(1).Within(1e-7));
    }

    [Test]
    public void WrongLengthsAreRejectedNamingTheArgument()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Advantages.NStep(Rewards.AsSpan(0, 7), Terminated, Truncated, FinalValues, LastValues, 4, 2, 0.9, new double[8]));
        Assert.That(ex!.Message, Does.Contain("rewards").And.Contain("7"));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Advantages.Gae(Rewards, Values, Terminated, Truncated, FinalValues, LastValues, 4, 2, 0.9, 1.5, new double[8], new double[8]));
    }
}

using Kfac.Rl.Algorithms;
using Kfac.Rl.Environments;
using Kfac.Rl.Policies;
using Kfac.Rl.Returns;
using Kfac.Rl.Vector;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>
/// <see cref="RewardNormalizer"/> against an independent moment-form oracle of SB3's VecNormalize reward scaling:
/// with every discounted return R seen so far (plus RunningMeanStd's prior, a pseudo-sample of weight 1e-4 with mean
/// 0 and variance 1), mean = sum R / (n + 1e-4), variance = (1e-4 + sum R^2) / (n + 1e-4) - mean^2, and
/// r' = clip(r / sqrt(variance + 1e-8), -10, 10); over random rollouts with terminations and truncations, across
/// calls (the accumulators carry over), and through a learner (episode returns stay unscaled).
/// </summary>
public class RewardNormalizerTests
{
    private static double[] Oracle(double[] rewards, bool[] ends, int steps, int envs, double gamma, double clip)
    {
        var scaled = new double[rewards.Length];
        var acc = new double[envs];
        double n = 1e-4, sum = 0, sumSq = 1e-4; // the prior: weight 1e-4, mean 0, second moment 1
        for (int t = 0; t < steps; t++)
        {
            for (int e = 0; e < envs; e++)
            {
                acc[e] = gamma * acc[e] + rewards[t * envs + e];
                n += 1; sum += acc[e]; sumSq += acc[e] * acc[e];
            }
            double mean = sum / n, variance = sumSq / n - mean * mean;
            for (int e = 0; e < envs; e++)
            {
                int i = t * envs + e;
                scaled[i] = Math.Clamp(rewards[i] / Math.Sqrt(variance + 1e-8), -clip, clip);
                if (ends[i]) acc[e] = 0;
            }
        }
        return scaled;
    }

    [TestCase(1, 1, 0.99)]
    [TestCase(37, 3, 0.99)]
    [TestCase(64, 5, 0.9)]
    [TestCase(50, 4, 1.0)]
    public void MatchesTheMomentOracleAcrossTwoCalls(int steps, int envs, double gamma)
    {
        var rng = new Random(steps * 31 + envs);
        int n = steps * envs;
        var rewards = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 20 - 16).ToArray();
        var terminated = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.05).ToArray();
        var truncated = Enumerable.Range(0, n).Select((_, i) => !terminated[i] && rng.NextDouble() < 0.05).ToArray();
        var ends = terminated.Select((x, i) => x || truncated[i]).ToArray();
        var expected = Oracle(rewards, ends, steps, envs, gamma, 10);

        var normalizer = new RewardNormalizer(envs, gamma);
        var actual = (double[])rewards.Clone();
        int first = (steps + 1) / 2, second = steps - first;
        normalizer.Normalize(actual.AsSpan(0, first * envs), terminated.AsSpan(0, first * envs), truncated.AsSpan(0, first * envs), first);
        if (second > 0)
            normalizer.Normalize(actual.AsSpan(first * envs), terminated.AsSpan(first * envs), truncated.AsSpan(first * envs), second);
        for (int i = 0; i < n; i++) Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-9 * (1 + Math.Abs(expected[i]))), $"reward {i}");
        Assert.That(normalizer.Count, Is.EqualTo(n + 1e-4).Within(1e-9));
    }

    [Test]
    public void ClipsLargeScaledRewardsAndKeepsSigns()
    {
        // 200 rewards of +-0.01 (gamma 0: the returns are the rewards) bring the running variance down to ~1e-4, so a
        // reward of 5 scales to ~500 and is clipped at 10.
        var normalizer = new RewardNormalizer(envs: 1, gamma: 0.0, clip: 10);
        var small = Enumerable.Repeat(0.01, 200).Select((x, i) => i % 2 == 0 ? x : -x).ToArray();
        normalizer.Normalize(small, new bool[200], new bool[200], 200);
        Assert.That(small.Where((_, i) => i % 2 == 1), Has.All.LessThan(0));
        var spike = new[] { 5.0 };
        normalizer.Normalize(spike, [false], [false], 1);
        Assert.That(spike[0], Is.EqualTo(10.0));
    }

    [Test]
    public void BadArgumentsNameTheShapes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RewardNormalizer(0, 0.99));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RewardNormalizer(2, 1.5));
        var normalizer = new RewardNormalizer(2, 0.99);
        var e = Assert.Throws<ArgumentException>(() => normalizer.Normalize(new double[5], new bool[6], new bool[6], 3))!;
        Assert.That(e.Message, Does.Contain("3 x 2 = 6"));
    }

    [Test]
    public void LearnerScalesTheBufferButNotTheEpisodeReturns()
    {
        var vec = new VectorEnvironment(_ => new Pendulum(), 2);
        var policy = ActorCritic.Mlp(vec.ObservationShape, vec.ActionSpace, seed: 3);
        var learner = new A2c(policy, vec, new A2cOptions { NormalizeReward = true, StepsPerEnv = 50 }, seed: 3);
        Assert.That(learner.RewardScaling, Is.Not.Null);
        learner.Learn(2 * 50 * 6); // 300 steps per copy: one full 200-step episode each
        Assert.That(vec.Episodes.Count, Is.GreaterThanOrEqualTo(2));
        Assert.That(vec.Episodes.MeanReturn(), Is.LessThan(-100), "Pendulum's episode returns are in its own units (hundreds)");
        Assert.That(learner.RewardScaling!.Variance, Is.GreaterThan(100), "the discounted returns' variance is in Pendulum's units");
        Assert.That(learner.Buffer.Rewards.Max(Math.Abs), Is.LessThan(2), "the buffer holds the scaled rewards");

        var rawVec = new VectorEnvironment(_ => new Pendulum(), 2);
        var raw = new A2c(ActorCritic.Mlp(rawVec.ObservationShape, rawVec.ActionSpace, seed: 3), rawVec, new A2cOptions { StepsPerEnv = 50 }, 3);
        Assert.That(raw.RewardScaling, Is.Null);
        raw.Learn(2 * 50 * 6);
        Assert.That(raw.Buffer.Rewards.Max(Math.Abs), Is.GreaterThan(2), "control: unscaled, Pendulum's rewards reach -16");
    }
}

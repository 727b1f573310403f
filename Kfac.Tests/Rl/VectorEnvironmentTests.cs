using Kfac.Rl.Environments;
using Kfac.Rl.Vector;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>The vectorised runner: automatic reset with the final observation kept, truncation vs
/// termination flags, episode statistics, and parallel stepping equal to sequential.</summary>
public class VectorEnvironmentTests
{
    [Test]
    public void AutoResetKeepsFinalObservationAndRecordsEpisodes()
    {
        var vec = new VectorEnvironment(_ => new CartPole(maxEpisodeSteps: 30), 4);
        vec.Reset(seed: 10);
        var rng = new Random(0);
        var actions = new double[4];
        var lengths = new int[4];
        int completed = 0;
        for (int step = 0; step < 300; step++)
        {
            for (int i = 0; i < 4; i++) actions[i] = rng.Next(2);
            vec.Step(actions);
            for (int i = 0; i < 4; i++)
            {
                lengths[i]++;
                bool done = vec.Terminated[i] || vec.Truncated[i];
                Assert.That(vec.Terminated[i] && vec.Truncated[i], Is.False, "truncated is reported only when not terminated");
                if (!done) continue;
                Assert.That(vec.Truncated[i], Is.EqualTo(lengths[i] == 30), $"env {i} truncated exactly at the limit");
                Assert.That(vec.Episodes.Lengths[completed], Is.EqualTo(lengths[i]));
                Assert.That(vec.Episodes.Returns[completed], Is.EqualTo(lengths[i]), "CartPole pays 1 per step");
                var fresh = vec.Observation(i);
                foreach (var v in fresh) Assert.That(Math.Abs(v), Is.LessThan(0.05f), "row holds the next episode's first observation");
                var final = vec.FinalObservations.AsSpan(i * 4, 4);
                if (vec.Terminated[i]) Assert.That(Math.Abs(final[0]) > 2.4 || Math.Abs(final[2]) > CartPole.ThetaThreshold, Is.True);
                lengths[i] = 0;
                completed++;
            }
        }
        Assert.That(completed, Is.EqualTo(vec.Episodes.Count).And.GreaterThan(20));
        Assert.That(vec.TotalSteps, Is.EqualTo(1200));
        Assert.That(vec.Episodes.MeanReturn(5), Is.EqualTo(vec.Episodes.Returns.TakeLast(5).Average()));
    }

    [Test]
    public void ParallelSteppingEqualsSequential()
    {
        var a = new VectorEnvironment(_ => new Acrobot(), 6);
        var b = new VectorEnvironment(_ => new Acrobot(), 6, parallel: true);
        a.Reset(3);
        b.Reset(3);
        var rng = new Random(1);
        var actions = new double[6];
        for (int step = 0; step < 50; step++)
        {
            for (int i = 0; i < 6; i++) actions[i] = rng.Next(3);
            a.Step(actions);
            b.Step(actions);
            Assert.That(b.Observations, Is.EqualTo(a.Observations));
        }
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        var vec = new VectorEnvironment(_ => new CartPole(), 2);
        Assert.Throws<InvalidOperationException>(() => vec.Step(new double[2]));
        vec.Reset(0);
        var ex = Assert.Throws<ArgumentException>(() => vec.Step(new double[3]));
        Assert.That(ex!.Message, Does.Contain("3").And.Contain("2 environments"));
        Assert.Throws<ArgumentException>(() => _ = new VectorEnvironment(i => i == 0 ? new CartPole() : new Acrobot(), 2));
    }
}

using Kfac.Examples.ReinforcementLearning;
using NUnit.Framework;
using static Kfac.Tests.Reliability.ExampleEntryRunner;

namespace Kfac.Tests.Reliability;

/// <summary>examples/ReinforcementLearning's entry code (<see cref="ReinforcementLearningCommand"/> through
/// ExampleMain): bad options, missing or foreign checkpoints for --evaluate are one line "error: ..." with exit
/// code 2, before an environment or a network is built.</summary>
[NonParallelizable]
public class ReinforcementLearningEntryTests
{
    [TestCase("--env Pong-v5", "--env: unknown environment 'Pong-v5'")]
    [TestCase("--algo dqn", "--algo must be a2c, ppo or acktr; got 'dqn'")]
    [TestCase("--hyper best", "--hyper must be tuned, default or zoo; got 'best'")]
    [TestCase("--timesteps 0", "--timesteps must be positive; got 0")]
    [TestCase("--envs -4", "--envs must be positive; got -4")]
    [TestCase("--n-steps 0", "--n-steps")]
    [TestCase("--log-every 0", "--log-every")]
    [TestCase("--lr -1", "--lr must be a finite positive number")]
    [TestCase("--gamma 1.5", "--gamma must be in (0, 1]")]
    [TestCase("--gae-lambda -0.5", "--gae-lambda")]
    [TestCase("--runner-speed 0", "--runner-speed")]
    [TestCase("--algo acktr --inverse-interval 0", "--inverse-interval must be positive; got 0")]
    [TestCase("--algo acktr --inverse-staleness 10", "--inverse-staleness must be 0 (synchronous) or in 1 .. inverse interval - 1 = 9 (inverse interval 10); got 10")]
    [TestCase("--algo acktr --inverse-interval 4 --inverse-staleness 4", "inverse interval - 1 = 3 (inverse interval 4); got 4")]
    [TestCase("--evaluate", "--evaluate needs --checkpoint FILE")]
    [TestCase("--evaluate --checkpoint {dir}/missing.safetensors", "missing.safetensors: the file does not exist")]
    [TestCase("--evaluate --checkpoint {dir}", "is a directory")]
    [TestCase("--log {dir}/no-such-dir/log.jsonl", "--log")]
    [TestCase("--checkpoint {dir}/no-such-dir/c.safetensors", "--checkpoint")]
    public void UserErrorIsOneLineWithExitCode2(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        AssertUserError(Run(ReinforcementLearningCommand.Create(), arguments, dir.Path), expected);
    }

    [TestCase("--env Pendulum-v1 --algo acktr", 16, "gamma 0.95")]
    [TestCase("--env CartPole-v1 --algo acktr", 8, "acktr.yml CartPole-v1")]
    [TestCase("--env CartPole-v1 --algo ppo --batch-size 4", 8, "ppo.yml CartPole-v1")]
    [TestCase("--env Acrobot-v1 --algo acktr", 4, "4 envs x 3 steps")]
    [TestCase("--env Acrobot-v1 --algo a2c", 32, "32 envs x 5 steps")]
    [TestCase("--env CartPole-v1 --algo a2c", 16, "16 envs x 5 steps")]
    [TestCase("--env MountainCarContinuous-v0 --algo acktr", 16, "the library's ACKTR defaults")]
    [TestCase("--env CartPole-v1 --algo acktr --envs 3", 3, "acktr.yml CartPole-v1")]
    [TestCase("--env CartPole-v1 --algo acktr --hyper default", 16, null)]
    public void WithoutFlagsEachTaskGetsItsTunedSetting(string arguments, int envs, string? source)
    {
        using var dir = ReliabilityFixture.TempDir();
        var run = Run(ReinforcementLearningCommand.Create(), arguments + " --timesteps 20 --n-steps 4 --log-every 1 --log {dir}/run.jsonl", dir.Path);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Out + run.Error);
        if (source is null) Assert.That(run.Out, Does.Not.Contain("setting (--hyper tuned)"));
        else Assert.That(run.Out, Does.Contain("setting (--hyper tuned)").And.Contain(source));
        string line = File.ReadLines(Path.Combine(dir.Path, "run.jsonl")).First();
        Assert.That(line, Does.Contain($"\"envs\":{envs}"), line);
    }

    [Test]
    public void EvaluatingAFileThatIsNotACheckpointNamesTheFile()
    {
        using var dir = ReliabilityFixture.TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "junk.safetensors"), "junk");
        AssertUserError(Run(ReinforcementLearningCommand.Create(), "--evaluate --checkpoint {dir}/junk.safetensors", dir.Path), "junk.safetensors");
    }

    [Test]
    public void EvaluatingAnotherEnvironmentsPolicyIsAUserError()
    {
        using var dir = ReliabilityFixture.TempDir();
        var trained = Run(ReinforcementLearningCommand.Create(), "--env CartPole-v1 --algo a2c --timesteps 80 --envs 2 --checkpoint {dir}/cartpole.safetensors", dir.Path);
        Assert.That(trained.ExitCode, Is.EqualTo(0), trained.Out + trained.Error);
        AssertUserError(Run(ReinforcementLearningCommand.Create(), "--env Acrobot-v1 --evaluate --episodes 1 --checkpoint {dir}/cartpole.safetensors", dir.Path),
            "does not hold a policy for --env Acrobot-v1");
    }

    [Test]
    public void ARejectedRunLeavesAnExistingLogIntact()
    {
        using var dir = ReliabilityFixture.TempDir();
        string log = Path.Combine(dir.Path, "run.jsonl");
        File.WriteAllText(log, "kept\n");
        AssertUserError(Run(ReinforcementLearningCommand.Create(), "--algo sac --log {dir}/run.jsonl", dir.Path), "--algo");
        Assert.That(File.ReadAllText(log), Is.EqualTo("kept\n"));
    }
}

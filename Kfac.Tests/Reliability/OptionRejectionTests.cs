using Kfac.Examples;
using NUnit.Framework;

namespace Kfac.Tests.Reliability;

/// <summary>The examples' command line (<see cref="ExampleCommand"/> + <see cref="OptionRules"/>): every bad option
/// or combination is a <see cref="UsageException"/> naming the option, raised by Read, i.e. before data is loaded,
/// a log is opened or a step is taken. One line per case: arguments, then a text the message must contain.</summary>
public class OptionRejectionTests
{
    [TestCase("--threads -3", "--threads")]
    [TestCase("--log-every -5", "--log-every")]
    [TestCase("--log-every 0", "--log-every")]
    [TestCase("--eval-every-steps 0", "--eval-every-steps")]
    [TestCase("--eval-every-epochs -2", "--eval-every-epochs")]
    [TestCase("--lambda 0.001 --min-lambda 0.01", "--lambda 0.001 is below --min-lambda 0.01")]
    [TestCase("--seconds 0", "--seconds")]
    [TestCase("--seconds -2", "--seconds")]
    [TestCase("--steps 0", "--steps")]
    [TestCase("--epochs -1", "--epochs")]
    [TestCase("--batch-size 0", "--batch-size")]
    [TestCase("--lr 0", "--lr")]
    [TestCase("--lr -0.1", "--lr")]
    [TestCase("--lr 1e400", "--lr")]
    [TestCase("--momentum 1", "--momentum")]
    [TestCase("--lambda NaN", "--lambda")]
    [TestCase("--min-lambda 0", "--min-lambda")]
    [TestCase("--l2 -1", "--l2")]
    [TestCase("--stats-fraction 0", "--stats-fraction")]
    [TestCase("--quad-fraction 1.5", "--quad-fraction")]
    [TestCase("--rho-fraction 0", "--rho-fraction")]
    [TestCase("--stats-decay 1", "--stats-decay")]
    [TestCase("--stats-decay -0.5", "--stats-decay")]
    [TestCase("--lambda-decay 1", "--lambda-decay")]
    [TestCase("--lambda-decay 0", "--lambda-decay")]
    [TestCase("--inverse-interval 0", "--inverse-interval")]
    [TestCase("--stats-interval -1", "--stats-interval")]
    [TestCase("--inverse-staleness -1", "--inverse-staleness must be 0 (synchronous inverses) or a positive number of steps; got -1")]
    [TestCase("--inverse-staleness 3 --inverse-interval 3", "--inverse-staleness 3 must be below --inverse-interval 3")]
    [TestCase("--inverse-interval 2 --inverse-staleness 5", "--inverse-staleness 5 must be below --inverse-interval 2")]
    [TestCase("--stats-reduction sometimes", "--stats-reduction must be eager or lazy; got 'sometimes'")]
    [TestCase("--inverse-placement everywhere", "--inverse-placement must be replicated, inverses or directions; got 'everywhere'")]
    [TestCase("--inverse-placement BroadcastInverses", "--inverse-placement must be replicated, inverses or directions; got 'broadcastinverses'")]
    [TestCase("--kl-clip 0", "--kl-clip")]
    [TestCase("--validation 1", "--validation")]
    [TestCase("--validation -0.1", "--validation")]
    [TestCase("--optimizer rmsprop", "--optimizer")]
    [TestCase("--data mnist", "--data")]
    [TestCase("--distributed slurm", "--distributed")]
    [TestCase("--device cuda:99", "--device cuda:99")]
    [TestCase("--device tpu", "--device")]
    [TestCase("--checkpoint {missing}/run.safetensors", "--checkpoint")]
    [TestCase("--checkpoint {dir}", "is a directory")]
    [TestCase("--checkpoint {file}/run.safetensors", "does not exist")]
    [TestCase("--log {missing}/log.jsonl", "--log")]
    [TestCase("--export-onnx {missing}/m.onnx", "--export-onnx")]
    [TestCase("--plot {dir}/curves.png", "give --log")]
    [TestCase("--plot {dir}/curves.txt --log {dir}/log.jsonl", ".png")]
    [TestCase("--resume {dir}/none.safetensors", "--resume")]
    [TestCase("--resume {dir}", "is a directory")]
    public void BadOptionIsRefusedNamingIt(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        File.WriteAllText(dir.File("plain-file"), "not a directory");
        var args = arguments.Replace("{dir}", dir.Path).Replace("{file}", dir.File("plain-file")).Replace("{missing}", Path.Combine(dir.Path, "no-such-directory"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var command = new ExampleCommand("test", defaultBatch: 8);
        var parse = command.Root.Parse(args);
        Assert.That(parse.Errors, Is.Empty, "parses; the rules refuse it");
        var e = Assert.Throws<UsageException>(() => command.Read(parse))!;
        Assert.That(e.Message, Does.Contain(expected));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void DefaultsAreAccepted()
    {
        var command = new ExampleCommand("test", defaultBatch: 8);
        Assert.DoesNotThrow(() => command.Read(command.Root.Parse([])));
    }
}

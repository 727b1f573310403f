using Kfac.Plot;
using NUnit.Framework;

namespace Kfac.Tests.Reliability;

/// <summary>tools/Kfac.Plot's entry code (<see cref="PlotMain.Run"/>, all its Program.cs does): bad options, missing
/// or malformed logs, unknown metrics and unwritable outputs are one line "error: ..." with exit code 2 and no stack
/// trace, within a time limit; a good command line writes the PNG and exits 0.</summary>
[NonParallelizable]
public class KfacPlotEntryTests
{
    private const string Log = "{\"step\":1,\"seconds\":0.5,\"train_loss\":2.0}\n{\"step\":2,\"seconds\":1.0,\"train_loss\":1.5}\n";

    private static ExampleEntryRunner.Outcome Run(string arguments, string dir)
    {
        File.WriteAllText(Path.Combine(dir, "run.jsonl"), Log);
        File.WriteAllText(Path.Combine(dir, "broken.jsonl"), "{\"step\":1,\n");
        var args = arguments.Replace("{dir}", dir).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (oldOut, oldError) = (Console.Out, Console.Error);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var run = Task.Run(() => PlotMain.Run(args));
            Assert.That(Task.WaitAny([run], TimeSpan.FromSeconds(ExampleEntryRunner.TimeLimitSeconds)), Is.EqualTo(0), $"'{arguments}' finished (no hang)");
            return new ExampleEntryRunner.Outcome(run.Result, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }

    [TestCase("{dir}/run.jsonl", "--out FILE.png is required")]
    [TestCase("--out {dir}/curves.svg {dir}/run.jsonl", "--out must name a .png file")]
    [TestCase("--out {dir}/curves.png --bogus {dir}/run.jsonl", "unknown option '--bogus'")]
    [TestCase("--out {dir}/curves.png --size 5x5 {dir}/run.jsonl", "--size")]
    [TestCase("--out {dir}/curves.png {dir}/missing.jsonl", "missing.jsonl")]
    [TestCase("--out {dir}/curves.png {dir}/broken.jsonl", "broken.jsonl")]
    [TestCase("--out {dir}/curves.png --metric nope {dir}/run.jsonl", "no run has the metric 'nope'")]
    [TestCase("--out {dir}/no-such-dir/curves.png {dir}/run.jsonl", "no-such-dir")]
    public void UserErrorIsOneLineWithExitCode2(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        ExampleEntryRunner.AssertUserError(Run(arguments, dir.Path), expected);
    }

    [Test]
    public void AGoodCommandLineWritesThePng()
    {
        using var dir = ReliabilityFixture.TempDir();
        var o = Run("--out {dir}/curves.png --metric train_loss {dir}/run.jsonl", dir.Path);
        Assert.That(o.ExitCode, Is.EqualTo(0), o.Error);
        Assert.That(o.Error, Is.Empty);
        Assert.That(new FileInfo(Path.Combine(dir.Path, "curves.png")).Length, Is.GreaterThan(0));
    }
}

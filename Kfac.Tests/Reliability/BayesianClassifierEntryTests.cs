using Kfac.Examples.BayesianClassifier;
using NUnit.Framework;
using static Kfac.Tests.Reliability.ExampleEntryRunner;

namespace Kfac.Tests.Reliability;

/// <summary>examples/BayesianClassifier's entry code (<see cref="BayesianClassifierCommand"/> through ExampleMain):
/// bad options and paths are one line "error: ..." with exit code 2, before any data is loaded.</summary>
[NonParallelizable]
public class BayesianClassifierEntryTests
{
    [TestCase("--method noisy-kfac,sgd", "--method: unknown 'sgd'")]
    [TestCase("--hidden 0", "--hidden must be positive; got 0")]
    [TestCase("--epochs -1", "--epochs must be positive; got -1")]
    [TestCase("--batch-size 0", "--batch-size")]
    [TestCase("--test-samples 0", "--test-samples")]
    [TestCase("--lr 0", "--lr must be a finite positive number; got 0")]
    [TestCase("--lr Infinity", "--lr")]
    [TestCase("--kl-weight NaN", "--kl-weight")]
    [TestCase("--beta 0", "--beta must be in (0, 1]")]
    [TestCase("--threads -1", "--threads")]
    [TestCase("--data mnist", "--data must be fashion-mnist or embedded; got 'mnist'")]
    [TestCase("--data-dir {dir}/no-such-dir", "--data-dir")]
    [TestCase("--plot {dir}/calibration.jpg", "--plot must name a .png file")]
    [TestCase("--plot {dir}/no-such-dir/calibration.png", "--plot")]
    [TestCase("--json {dir}/no-such-dir/results.json", "--json")]
    [TestCase("--epochs two", "two")]
    [TestCase("--validation 1", "--validation must be in [0, 1) (0: evaluate on the test set); got 1")]
    [TestCase("--validation -0.1", "--validation must be in [0, 1)")]
    public void UserErrorIsOneLineWithExitCode2(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        AssertUserError(Run(BayesianClassifierCommand.Create(), arguments, dir.Path), expected);
    }

    /// <summary>--validation trains on the training set minus a held-out fraction and reports on that fraction: 600 of
    /// the embedded subset's 6000 training examples at 0.1 (the examples' fixed stratified split), never the test set.</summary>
    [Test]
    public void ValidationEvaluatesOnTheHeldOutPartOfTheTrainingSet()
    {
        using var dir = ReliabilityFixture.TempDir();
        var o = Run(BayesianClassifierCommand.Create(), "--data embedded --method adam --epochs 1 --validation 0.1 --json {dir}/r.json", dir.Path);
        Assert.That(o.ExitCode, Is.EqualTo(0), o.Out + o.Error);
        Assert.That(o.Out, Does.Contain("validation: 600 of the 6000 training examples held out"));
        Assert.That(o.Out, Does.Contain("adam       validation accuracy"));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "r.json")));
        var row = json.RootElement[0];
        Assert.That(row.GetProperty("evaluated_on").GetString(), Is.EqualTo("validation"));
        Assert.That(row.GetProperty("validation_accuracy").GetDouble(), Is.InRange(0.5, 1.0));
        Assert.That(row.TryGetProperty("test_accuracy", out _), Is.False, "no test metric when the test set is not used");
    }
}

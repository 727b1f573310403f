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
    public void UserErrorIsOneLineWithExitCode2(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        AssertUserError(Run(BayesianClassifierCommand.Create(), arguments, dir.Path), expected);
    }
}

using Kfac.Examples.BayesianRegression;
using NUnit.Framework;
using static Kfac.Tests.Reliability.ExampleEntryRunner;

namespace Kfac.Tests.Reliability;

/// <summary>examples/BayesianRegression's entry code (<see cref="BayesianRegressionCommand"/> through ExampleMain):
/// bad options, files and plot requests are one line "error: ..." with exit code 2, before any training.</summary>
[NonParallelizable]
public class BayesianRegressionEntryTests
{
    [TestCase("--epochs 0", "--epochs must be positive; got 0")]
    [TestCase("--splits -2", "--splits must be positive; got -2")]
    [TestCase("--particles 0", "--particles must be positive; got 0")]
    [TestCase("--batch-size 0", "--batch-size")]
    [TestCase("--lr -0.01", "--lr must be a finite positive number")]
    [TestCase("--lr NaN", "--lr")]
    [TestCase("--noise-lr 0", "--noise-lr")]
    [TestCase("--beta 1.5", "--beta must be in (0, 1]")]
    [TestCase("--ext-damping -1", "--ext-damping")]
    [TestCase("--method noisy-kfac,sgd", "--method: unknown 'sgd'")]
    [TestCase("--dataset {dir}/missing.csv", "missing.csv")]
    [TestCase("--plot {dir}/elbo.svg", "--plot must name a .png file")]
    [TestCase("--plot-from {dir}/elbo.jsonl", "--plot-from needs --plot")]
    [TestCase("--plot {dir}/elbo.png --plot-from {dir}/missing.jsonl", "missing.jsonl")]
    [TestCase("--json {dir}/no-such-dir/table.json", "--json")]
    [TestCase("--no-such-option", "--no-such-option")]
    [TestCase("--posterior-damping diagonal", "--posterior-damping")]
    [TestCase("--parallel-splits 0", "--parallel-splits must be positive")]
    public void UserErrorIsOneLineWithExitCode2(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        AssertUserError(Run(BayesianRegressionCommand.Create(), arguments, dir.Path), expected);
    }

    [Test]
    public void CsvWithABadCellNamesTheFileLineAndColumn()
    {
        using var dir = ReliabilityFixture.TempDir();
        var rows = Enumerable.Range(0, 12).Select(i => $"{i},{2 * i}").ToList();
        rows[5] = "5,ten";
        File.WriteAllLines(Path.Combine(dir.Path, "bad.csv"), ["x,y", .. rows]);
        AssertUserError(Run(BayesianRegressionCommand.Create(), "--dataset {dir}/bad.csv --splits 1 --epochs 1", dir.Path), "bad.csv' line 7, column 2");
    }

    [Test]
    public void OneSplitWritesItsTableWithNullStandardErrors()
    {
        // A single split has no standard error (NaN), which JSON cannot hold: it is written as null, not a crash.
        using var dir = ReliabilityFixture.TempDir();
        var o = Run(BayesianRegressionCommand.Create(), "--method adam --splits 1 --epochs 2 --json {dir}/table.json", dir.Path);
        Assert.That(o.ExitCode, Is.Zero, o.Out + o.Error);
        using var table = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "table.json")));
        var row = table.RootElement[0];
        Assert.That(row.GetProperty("rmse_se").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        Assert.That(row.GetProperty("ll_se").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        Assert.That(row.GetProperty("rmse_mean").GetDouble(), Is.GreaterThan(0).And.LessThan(100));
        Assert.That(o.Out, Does.Contain("+- -"), "the console table shows the missing standard error as '-'");
    }

    [Test]
    public void ParallelSplitsGiveTheSequentialFigures()
    {
        using var dir = ReliabilityFixture.TempDir();
        string[] tables = new string[2];
        for (int k = 0; k < 2; k++)
        {
            var o = Run(BayesianRegressionCommand.Create(),
                $"--method noisy-kfac,bbb --splits 3 --epochs 2 --particles 2 --parallel-splits {k + 1} --json {{dir}}/t{k}.json", dir.Path);
            Assert.That(o.ExitCode, Is.Zero, o.Out + o.Error);
            using var table = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, $"t{k}.json")));
            tables[k] = string.Join(";", table.RootElement.EnumerateArray().Select(r => r.GetProperty("rmse").GetRawText() + r.GetProperty("ll").GetRawText()));
        }
        Assert.That(tables[1], Is.EqualTo(tables[0]), "per-split RMSE and LL bit for bit, 1 and 2 splits at once");
    }

    [Test]
    public void TheEigenbasisPosteriorIsLabelledAsItsOwnMethod()
    {
        using var dir = ReliabilityFixture.TempDir();
        var o = Run(BayesianRegressionCommand.Create(),
            "--method noisy-kfac --posterior-damping eigenbasis --splits 1 --epochs 2 --particles 10 --json {dir}/t.json --elbo-log {dir}/e.jsonl", dir.Path);
        Assert.That(o.ExitCode, Is.Zero, o.Out + o.Error);
        using var table = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "t.json")));
        Assert.That(table.RootElement[0].GetProperty("method").GetString(), Is.EqualTo("noisy-kfac-eigenbasis"));
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "e.jsonl"));
        Assert.That(lines, Is.Not.Empty);
        Assert.That(lines, Has.All.Contain("\"method\":\"noisy-kfac-eigenbasis\""));
    }

    [Test]
    public void ARejectedRunLeavesAnExistingElboLogIntact()
    {
        using var dir = ReliabilityFixture.TempDir();
        string log = Path.Combine(dir.Path, "elbo.jsonl");
        File.WriteAllText(log, "kept\n");
        AssertUserError(Run(BayesianRegressionCommand.Create(), "--epochs 0 --elbo-log {dir}/elbo.jsonl", dir.Path), "--epochs");
        Assert.That(File.ReadAllText(log), Is.EqualTo("kept\n"));
    }
}

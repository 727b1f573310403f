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
    [TestCase("--test-every 0", "--test-every must be positive; got 0")]
    [TestCase("--test-log {dir}/no-such-dir/curve.jsonl", "--test-log")]
    [TestCase("--split-seed 7", "--split-seed needs --split-protocol authors")]
    [TestCase("--split-protocol authors --split-seed -1", "--split-seed must be in 0 .. 2^32 - 1")]
    [TestCase("--split-protocol kfold", "--split-protocol must be random or authors; got 'kfold'")]
    public void UserErrorIsOneLineWithExitCode2(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        AssertUserError(Run(BayesianRegressionCommand.Create(), arguments, dir.Path), expected);
    }

    [Test]
    public void TheAuthorsSplitIsNumpysSeedZeroPermutationAndEveryRunUsesIt()
    {
        // pomonam/NoisyNaturalGradient's loader: RandomState(0).choice(n, n, replace=False); rows [0, round(0.9 n))
        // of it train, the rest test. Boston: 455 train, 51 test.
        var data = UciData.Load("boston");
        var order = new Kfac.Data.NumpyLegacyRandom(0).Permutation(data.Rows);
        var split = data.MakeAuthorsSplit();
        Assert.That(split.TrainY.Length, Is.EqualTo(455));
        Assert.That(split.TestY, Is.EqualTo(order[455..].Select(i => data.Y[i]).ToArray()));
        Assert.That(split.TrainY.Select(y => y * split.TargetStd + split.TargetMean).ToArray(),
            Is.EqualTo(order[..455].Select(i => data.Y[i]).ToArray()).Within(1e-9));
        Assert.That(split.TrainY.Average(), Is.EqualTo(0).Within(1e-12));
        Assert.That(data.MakeAuthorsSplit().TestY, Is.EqualTo(split.TestY), "the same split every time");
        var zhusuan = data.MakeAuthorsSplit(1234);
        Assert.That(zhusuan.TestY, Is.EqualTo(new Kfac.Data.NumpyLegacyRandom(1234).Permutation(data.Rows)[455..].Select(i => data.Y[i]).ToArray()));
        Assert.That(zhusuan.TestY, Is.Not.EqualTo(split.TestY));
        Assert.That(UciData.Load("concrete").MakeAuthorsSplit().TestY.Length, Is.EqualTo(1030 - 927));

        using var dir = ReliabilityFixture.TempDir();
        var o = Run(BayesianRegressionCommand.Create(), "--method adam --splits 2 --epochs 2 --split-protocol authors --json {dir}/table.json", dir.Path);
        Assert.That(o.ExitCode, Is.Zero, o.Out + o.Error);
        Assert.That(o.Out, Does.Contain("2 runs on the authors' split (NumPy seed 0; 455 train, 51 test)"));
        using var table = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "table.json")));
        Assert.That(table.RootElement[0].GetProperty("split_protocol").GetString(), Is.EqualTo("authors"));
    }

    [Test]
    public void TheTestCurveIsLoggedWithoutChangingTheRun()
    {
        // The curve's draws come from their own generator: the final figures are the same with and without it.
        // (Mutation check: with the curve drawn from the training run's generator the figures differ.)
        using var dir = ReliabilityFixture.TempDir();
        const string args = "--method noisy-kfac,bbb --splits 2 --epochs 4 --particles 2 --test-samples 5 --split-protocol authors";
        var plain = Run(BayesianRegressionCommand.Create(), args + " --json {dir}/plain.json", dir.Path);
        var logged = Run(BayesianRegressionCommand.Create(), args + " --json {dir}/logged.json --test-log {dir}/curve.jsonl --test-every 2", dir.Path);
        Assert.That(plain.ExitCode, Is.Zero, plain.Out + plain.Error);
        Assert.That(logged.ExitCode, Is.Zero, logged.Out + logged.Error);
        using var a = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "plain.json")));
        using var b = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "logged.json")));
        for (int m = 0; m < 2; m++)
            foreach (var key in new[] { "rmse_mean", "ll_mean" })
            {
                // Up to the last bits (the first run in a process, see ParallelSplitsGiveTheSequentialFigures);
                // drawing the curve from the training generator would change the figures in the first digits.
                double expected = a.RootElement[m].GetProperty(key).GetDouble();
                Assert.That(b.RootElement[m].GetProperty(key).GetDouble(), Is.EqualTo(expected).Within(1e-9 * Math.Abs(expected)), key);
            }
        for (int m = 0; m < 2; m++)
        {
            // The posterior mean's own prediction is reported next to the predictive one, and differs from it.
            double atMean = b.RootElement[m].GetProperty("rmse_at_mean_mean").GetDouble();
            Assert.That(atMean, Is.GreaterThan(0).And.Not.EqualTo(b.RootElement[m].GetProperty("rmse_mean").GetDouble()));
        }
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "curve.jsonl"));
        Assert.That(lines, Has.Length.EqualTo(2 * 2 * 2), "2 methods x 2 runs x epochs 2 and 4");
        var last = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("method").GetString() == "bbb" && e.GetProperty("epoch").GetInt32() == 4).ToList();
        Assert.That(last, Has.Count.EqualTo(2));
        Assert.That(last.All(e => e.GetProperty("rmse").GetDouble() > 0));
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
        Assert.That(row.GetProperty("rmse_at_mean_mean").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null), "a point estimate has no separate mean");
    }

    [Test]
    public void ParallelSplitsGiveTheSequentialFigures()
    {
        using var dir = ReliabilityFixture.TempDir();
        // Not bit for bit: the first noisy K-FAC run in a process and the later ones differ in the last bits
        // (7.74078936003597 vs 7.740789360035976), with splits in parallel or not. Measured: with DOTNET_ReadyToRun=0 or
        // DOTNET_TieredCompilation=0 every run gives the later runs' bits, so it is the framework's precompiled code,
        // used until the JIT recompiles the hot methods, rounding differently; separate processes agree bit for bit.
        // A different seed, split or generator per split would change the figures in the first digits.
        var figures = new double[2][];
        for (int k = 0; k < 2; k++)
        {
            var o = Run(BayesianRegressionCommand.Create(),
                $"--method noisy-kfac,bbb --splits 3 --epochs 2 --particles 2 --parallel-splits {k + 1} --json {{dir}}/t{k}.json", dir.Path);
            Assert.That(o.ExitCode, Is.Zero, o.Out + o.Error);
            using var table = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, $"t{k}.json")));
            figures[k] = table.RootElement.EnumerateArray()
                .SelectMany(r => r.GetProperty("rmse").EnumerateArray().Concat(r.GetProperty("ll").EnumerateArray()))
                .Select(v => v.GetDouble()).ToArray();
        }
        Assert.That(figures[0], Has.Length.EqualTo(2 * 2 * 3));
        for (int i = 0; i < figures[0].Length; i++)
            Assert.That(figures[1][i], Is.EqualTo(figures[0][i]).Within(1e-9 * Math.Abs(figures[0][i])),
                $"figure {i} (per-split RMSE and LL), 1 and 2 splits at once");
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

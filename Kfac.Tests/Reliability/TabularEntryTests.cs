using Kfac.Examples.Tabular;
using NUnit.Framework;
using static Kfac.Tests.Reliability.ExampleEntryRunner;

namespace Kfac.Tests.Reliability;

/// <summary>examples/Tabular's entry code (<see cref="TabularCommand"/> through ExampleMain): bad options, a missing
/// CSV, a bad cell and an unknown --label are one line "error: ..." with exit code 2; a good table trains.</summary>
[NonParallelizable]
public class TabularEntryTests
{
    private static string WriteTable(string dir, string name, Func<int, string>? row = null)
    {
        row ??= i => $"{i % 7},{(i * 3) % 5},{i % 2}";
        File.WriteAllLines(Path.Combine(dir, name), ["a,b,class", .. Enumerable.Range(0, 40).Select(row)]);
        return name;
    }

    [TestCase("--csv {dir}/table.csv --test-fraction 0", "--test-fraction must be in (0, 1); got 0")]
    [TestCase("--csv {dir}/table.csv --test-fraction 1.5", "--test-fraction")]
    [TestCase("--csv {dir}/table.csv --label kind", "--label kind")]
    [TestCase("--csv {dir}/table.csv --hidden 8,0", "--hidden")]
    [TestCase("--csv {dir}/table.csv --epochs 0", "--epochs")]
    [TestCase("--csv {dir}/missing.csv", "missing.csv")]
    [TestCase("--test-fraction 0.2", "--csv")]
    public void UserErrorIsOneLineWithExitCode2(string arguments, string expected)
    {
        using var dir = ReliabilityFixture.TempDir();
        WriteTable(dir.Path, "table.csv");
        AssertUserError(Run(TabularCommand.Create(), arguments, dir.Path), expected);
    }

    [Test]
    public void CsvWithABadCellNamesTheFileLineAndColumn()
    {
        using var dir = ReliabilityFixture.TempDir();
        WriteTable(dir.Path, "bad.csv", i => i == 9 ? "1,x,0" : $"{i % 7},{(i * 3) % 5},{i % 2}");
        AssertUserError(Run(TabularCommand.Create(), "--csv {dir}/bad.csv --steps 2", dir.Path), "bad.csv' line 11, column 2");
    }

    [Test]
    public void AGoodTableTrains()
    {
        using var dir = ReliabilityFixture.TempDir();
        WriteTable(dir.Path, "table.csv");
        var o = Run(TabularCommand.Create(), "--csv {dir}/table.csv --steps 3 --batch-size 8 --threads 1", dir.Path);
        Assert.That(o.ExitCode, Is.EqualTo(0), o.Out + o.Error);
        Assert.That(o.Out, Does.Contain("finished: 3 steps"));
    }
}

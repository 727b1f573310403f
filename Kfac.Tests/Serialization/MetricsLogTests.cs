using FsCheck;
using FsCheck.Fluent;
using Kfac.Serialization;
using Kfac.Tests.Data;
using NUnit.Framework;

namespace Kfac.Tests.Serialization;

public class MetricsLogTests
{
    [Test]
    public void WritesOneObjectPerLineInKeyOrder()
    {
        using var dir = new TempDirectory();
        string path = dir.File("metrics.jsonl");
        using (var log = MetricsLog.Open(path))
        {
            log.Write(("step", 1), ("loss", 0.25), ("optimizer", "kfac"), ("converged", false));
            log.Write(new MetricsRecord { { "zeta", 2L }, { "alpha", 0.1f }, { "note", "say \"hi\"\n" } });
        }
        Assert.That(File.ReadAllText(path), Is.EqualTo(
            "{\"step\":1,\"loss\":0.25,\"optimizer\":\"kfac\",\"converged\":false}\n" +
            "{\"zeta\":2,\"alpha\":0.1,\"note\":\"say \\\"hi\\\"\\n\"}\n"));

        var records = MetricsLog.ReadAll(path);
        Assert.That(records, Has.Count.EqualTo(2));
        Assert.That(records[1].Keys, Is.EqualTo(new[] { "zeta", "alpha", "note" }), "key order preserved");
        Assert.That(records[0]["step"].AsInteger(), Is.EqualTo(1));
        Assert.That(records[0]["loss"].AsDouble(), Is.EqualTo(0.25));
        Assert.That(records[0]["optimizer"].AsString(), Is.EqualTo("kfac"));
        Assert.That(records[0]["converged"].AsBoolean(), Is.False);
        Assert.That(records[1]["note"].AsString(), Is.EqualTo("say \"hi\"\n"));
    }

    [Test]
    public void NaNAndInfinityAreWrittenAsNull()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.jsonl");
        using (var log = MetricsLog.Open(path))
            log.Write(("loss", double.NaN), ("grad", double.PositiveInfinity), ("f", float.NegativeInfinity), ("s", (string?)null));
        Assert.That(File.ReadAllText(path), Is.EqualTo("{\"loss\":null,\"grad\":null,\"f\":null,\"s\":null}\n"));
        var record = MetricsLog.ReadAll(path).Single();
        Assert.That(record["loss"].IsNull, Is.True);
        Assert.That(record["loss"].AsDouble(), Is.NaN);
    }

    [FsCheck.NUnit.Property(MaxTest = 20)]
    public Property DoublesRoundTripExactly(NormalFloat[] values)
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.jsonl");
        var extremes = new[] { double.Epsilon, double.MaxValue, -double.MinValue, 0.1 + 0.2, 1e-310, -0.0, 1.0 / 3 };
        var all = values.Select(v => v.Get).Concat(extremes).ToArray();
        using (var log = MetricsLog.Open(path))
            foreach (double v in all) log.Write(("v", v));
        var back = MetricsLog.ReadAll(path).Select(r => r["v"].AsDouble()).ToArray();
        return back.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(all.Select(BitConverter.DoubleToInt64Bits)).ToProperty();
    }

    [Test]
    public void EachLineIsOnDiskAsSoonAsItIsWritten()
    {
        using var dir = new TempDirectory();
        string path = dir.File("live.jsonl");
        using var log = MetricsLog.Open(path);
        log.Write(("epoch", 0));
        Assert.That(MetricsLog.ReadAll(path).Single()["epoch"].AsInteger(), Is.EqualTo(0), "visible while the log is still open");
        log.Write(("epoch", 1));
        Assert.That(MetricsLog.ReadAll(path), Has.Count.EqualTo(2));
    }

    [Test]
    public void AppendKeepsOldLinesTruncateDropsThem()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.jsonl");
        using (var log = MetricsLog.Open(path)) log.Write(("run", 1));
        using (var log = MetricsLog.Open(path, append: true)) log.Write(("run", 2));
        Assert.That(MetricsLog.ReadAll(path).Select(r => r["run"].AsInteger()), Is.EqualTo(new long[] { 1, 2 }));
        using (var log = MetricsLog.Open(path, append: false)) log.Write(("run", 3));
        Assert.That(MetricsLog.ReadAll(path).Select(r => r["run"].AsInteger()), Is.EqualTo(new long[] { 3 }));
    }

    [Test]
    public void ReaderIgnoresAnUnfinishedLastLineButNotABrokenMiddleOne()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.jsonl");
        File.WriteAllText(path, "{\"a\":1}\n\n{\"a\":2}\n{\"a\":");
        Assert.That(MetricsLog.ReadAll(path).Select(r => r["a"].AsInteger()), Is.EqualTo(new long[] { 1, 2 }));

        File.WriteAllText(path, "{\"a\":1}\n{\"a\":\n{\"a\":3}\n");
        var e = Assert.Throws<InvalidDataException>(() => MetricsLog.ReadAll(path))!;
        Assert.That(e.Message, Does.Contain("line 2"));
        File.WriteAllText(path, "[1,2]\n");
        Assert.That(Assert.Throws<InvalidDataException>(() => MetricsLog.ReadAll(path))!.Message, Does.Contain("line 1 is not a JSON object"));
    }

    [Test]
    public void RecordKeysAreUnique()
    {
        var record = new MetricsRecord { { "loss", 1.0 } };
        Assert.Throws<ArgumentException>(() => record.Add("loss", 2.0));
        record["loss"] = 3.0;
        Assert.That(record["loss"].AsDouble(), Is.EqualTo(3.0));
        Assert.That(record.Count, Is.EqualTo(1));
    }

    [Test]
    public void WritingAfterDisposeFails()
    {
        using var dir = new TempDirectory();
        var log = MetricsLog.Open(dir.File("m.jsonl"));
        log.Dispose();
        Assert.Throws<ObjectDisposedException>(() => log.Write(("a", 1)));
    }
}

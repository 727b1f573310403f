using System.Buffers.Binary;
using Kfac.Plot;
using Kfac.Serialization;
using Kfac.Tests.Data;
using NUnit.Framework;
using SkiaSharp;

namespace Kfac.Tests.Plot;

/// <summary>kfac-plot writes a decodable PNG of the expected size with the runs drawn in their colours.</summary>
public class TrainingCurvesTests
{
    private static string WriteLog(TempDirectory dir, string name, bool kfac, int records, double scale)
    {
        string path = dir.File(name);
        using var log = MetricsLog.Open(path, append: false);
        for (int i = 1; i <= records; i++)
        {
            var r = new MetricsRecord
            {
                { "optimizer", kfac ? "kfac" : "adam" },
                { "step", i * 10 },
                { "epoch", i / 5 },
                { "seconds", i * 1.5 },
                { "train_loss", i == 3 ? double.NaN : scale * 100 / i },   // logged as null: left out
                { "test_accuracy", 1 - 0.5 / i },
            };
            if (kfac)
            {
                r.Add("lambda", 150 * Math.Pow(0.5, i));
                r.Add("gamma", 10.0 / i);
                r.Add("alpha", 0.5);
                r.Add("mu", 0.1 * i);
            }
            log.Write(r);
        }
        return path;
    }

    /// <summary>A log counted in another unit (the reinforcement-learning logs' env_steps) is drawn against it, and the
    /// counter itself is not taken for a metric.</summary>
    [Test]
    public void AnotherStepKeyIsTheXAxis()
    {
        using var dir = new TempDirectory();
        string path = dir.File("rl.jsonl");
        using (var log = MetricsLog.Open(path, append: false))
            for (int i = 1; i <= 6; i++)
                log.Write(new MetricsRecord { { "env_steps", i * 1000 }, { "seconds", i * 0.5 }, { "mean_return", 10.0 * i } });
        var runs = new[] { RunLog.Read(path, "a2c") };
        var (panels, _) = TrainingCurves.Layout(runs, new PlotOptions { StepKey = "env_steps", VersusSeconds = false });
        Assert.That(panels.Select(p => (p.Metric, p.X)), Is.EqualTo(new[] { ("mean_return", "env_steps") }));
        var (_, _, parsed) = PlotCommand.Parse(["--out", dir.File("rl.png"), "--step-key", "env_steps", path]);
        Assert.That(parsed.StepKey, Is.EqualTo("env_steps"));
    }

    [Test]
    public void WritesAPngOfTheGridSizeWithEveryRunDrawn()
    {
        using var dir = new TempDirectory();
        var runs = new[] { RunLog.Read(WriteLog(dir, "kfac.jsonl", true, 12, 1), "K-FAC"), RunLog.Read(WriteLog(dir, "adam.jsonl", false, 20, 2)) };
        var options = new PlotOptions { PanelWidth = 300, PanelHeight = 200 };
        var (panels, columns) = TrainingCurves.Layout(runs, options);
        Assert.That(columns, Is.EqualTo(2));
        Assert.That(panels.Select(p => $"{p.Metric}/{p.X}/{p.LogY}"), Is.EqualTo(new[]
        {
            "train_loss/step/True", "train_loss/seconds/True", "test_accuracy/step/False", "test_accuracy/seconds/False",
            "lambda/step/True", "gamma/step/True", "alpha/step/False", "mu/step/False",
        }));
        Assert.That(runs[0].Series("step", "train_loss").X, Has.Length.EqualTo(11), "the null loss is left out");

        string png = dir.File("curves.png");
        TrainingCurves.SavePng(png, runs, options);
        var bytes = File.ReadAllBytes(png);
        Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 12, 4), Is.EqualTo("IHDR"));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), Is.EqualTo(600));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)), Is.EqualTo(800));
        using var bitmap = SKBitmap.Decode(png);
        Assert.That(bitmap, Is.Not.Null, "the PNG decodes");
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((600, 800)));
        // Category10's first two colours: the K-FAC run (blue) and the Adam run (orange) are both drawn.
        int blue = 0, orange = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (Near(c, 0x1f, 0x77, 0xb4)) blue++;
                if (Near(c, 0xff, 0x7f, 0x0e)) orange++;
            }
        Assert.That(blue, Is.GreaterThan(500));
        Assert.That(orange, Is.GreaterThan(200));
        Assert.That(dir.Entries().Where(e => e.EndsWith(".tmp.png", StringComparison.Ordinal)), Is.Empty, "no temporary file left");
    }

    private static bool Near(SKColor c, int r, int g, int b) => Math.Abs(c.Red - r) < 8 && Math.Abs(c.Green - g) < 8 && Math.Abs(c.Blue - b) < 8;

    [Test]
    public void CommandLineProblemsAreNamed()
    {
        using var dir = new TempDirectory();
        string log = WriteLog(dir, "run.jsonl", false, 3, 1);
        string Error(params string[] args) => Assert.Throws(Is.InstanceOf<Exception>(), () => PlotCommand.Parse(args))!.Message;
        Assert.That(Error(log), Does.Contain("--out FILE.png is required"));
        Assert.That(Error("--out", dir.File("a.txt"), log), Does.Contain(".png"));
        Assert.That(Error("--out", dir.File("a.png")), Does.Contain("no logs"));
        Assert.That(Error("--out", dir.File("a.png"), dir.File("missing.jsonl")), Does.Contain("missing.jsonl"));
        Assert.That(Error("--out", dir.File("a.png"), "--size", "10x10", log), Does.Contain("--size"));
        Assert.That(Error("--out", dir.File("a.png"), "--bogus", log), Does.Contain("unknown option '--bogus'"));
        File.WriteAllText(dir.File("empty.jsonl"), "");
        Assert.That(Error("--out", dir.File("a.png"), dir.File("empty.jsonl")), Does.Contain("has no records"));
        var (output, runs, options) = PlotCommand.Parse(["--out", dir.File("a.png"), "--metric", "test_accuracy", "--steps-only", $"{log}=mine"]);
        Assert.That(runs.Single().Label, Is.EqualTo("mine"));
        var e = Assert.Throws<ArgumentException>(() => TrainingCurves.SavePng(output, runs, options with { Metrics = ["lambda_typo"] }))!;
        Assert.That(e.Message, Does.Contain("lambda_typo").And.Contain("test_accuracy"));
        TrainingCurves.SavePng(output, runs, options);
        Assert.That(File.Exists(output));
    }
}

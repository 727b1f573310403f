using Kfac.Metrics;
using Kfac.Plot;
using NUnit.Framework;

namespace Kfac.Tests.Bayes;

/// <summary>The reliability-diagram and ELBO PNGs are written (PNG signature, atomically), and bad ELBO records are
/// refused with their location.</summary>
public class BayesPlotTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Test]
    public void ReliabilityDiagramIsWrittenAsPng()
    {
        var d = Calibration.Compute([0.9, 0.1, 0.6, 0.4, 0.3, 0.7], [0, 1, 1], 2);
        string path = Path.Combine(Path.GetTempPath(), $"kfac-reliability-{Guid.NewGuid():N}.png");
        try
        {
            ReliabilityDiagramPlot.SavePng(path, [("a", d), ("b", d)]);
            Assert.That(File.ReadAllBytes(path).Take(8), Is.EqualTo(PngSignature));
            Assert.That(Directory.GetFiles(Path.GetTempPath(), $".{Path.GetFileName(path)}*"), Is.Empty, "no temporary file left");
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<ArgumentException>(() => ReliabilityDiagramPlot.SavePng(path, []));
    }

    [Test]
    public void ElboPlotReadsTheExampleLogAndRefusesBadRecords()
    {
        string log = Path.Combine(Path.GetTempPath(), $"kfac-elbo-{Guid.NewGuid():N}.jsonl");
        string png = Path.ChangeExtension(log, ".png");
        try
        {
            var lines = new List<string>();
            foreach (var m in new[] { "bbb", "noisy-kfac" })
                for (int k = 1; k <= 5; k++)
                    lines.Add($"{{\"dataset\":\"boston\",\"method\":\"{m}\",\"split\":0,\"epoch\":{k},\"iteration\":{45 * k},\"elbo\":{-1000 + 50 * k},\"expected_log_likelihood\":{-300 + 10 * k},\"kl_weights\":{500 - k},\"kl_noise\":1.5}}");
            File.WriteAllLines(log, lines);
            var points = ElboPlot.ReadJsonLines(log);
            Assert.That(points, Has.Count.EqualTo(10));
            Assert.That(points[6], Is.EqualTo(new ElboPoint("boston", "noisy-kfac", 90, -900, -280, 498)));
            ElboPlot.SavePng(png, points);
            Assert.That(File.ReadAllBytes(png).Take(8), Is.EqualTo(PngSignature));
            File.AppendAllLines(log, ["{\"dataset\":\"boston\",\"method\":\"bbb\",\"iteration\":3}"]);
            var e = Assert.Throws<InvalidDataException>(() => ElboPlot.ReadJsonLines(log));
            Assert.That(e!.Message, Does.Contain(":11:").And.Contain("elbo"));
        }
        finally
        {
            File.Delete(log);
            File.Delete(png);
        }
    }
}

using Kfac.Metrics;
using NUnit.Framework;

namespace Kfac.Tests.Bayes;

/// <summary>Expected calibration error and the reliability diagram against a computation by hand.</summary>
public class CalibrationTests
{
    [Test]
    public void EceMatchesHandComputation()
    {
        // 6 predictions, 3 classes, 5 bins of width 0.2: (0, .2], (.2, .4], (.4, .6], (.6, .8], (.8, 1]
        double[] p =
        [
            0.90, 0.05, 0.05, // conf .90 -> bin 4, argmax 0, label 0: right
            0.10, 0.85, 0.05, // conf .85 -> bin 4, argmax 1, label 2: wrong
            0.50, 0.30, 0.20, // conf .50 -> bin 2, right
            0.20, 0.35, 0.45, // conf .45 -> bin 2, argmax 2, label 1: wrong
            0.30, 0.70, 0.00, // conf .70 -> bin 3, right
            0.40, 0.40, 0.20, // conf .40 -> bin 1 (upper edge is in), tie -> argmax 0, label 1: wrong
        ];
        int[] labels = [0, 2, 0, 1, 1, 1];
        var d = Calibration.Compute(p, labels, 3, bins: 5);
        // by hand: bin 4: acc 1/2, conf .875 -> |.5 - .875| = .375, weight 2/6
        //          bin 2: acc 1/2, conf .475 -> .025, weight 2/6
        //          bin 3: acc 1,   conf .70  -> .30,  weight 1/6
        //          bin 1: acc 0,   conf .40  -> .40,  weight 1/6
        double ece = 2.0 / 6 * 0.375 + 2.0 / 6 * 0.025 + 1.0 / 6 * 0.30 + 1.0 / 6 * 0.40;
        Assert.That(d.ExpectedCalibrationError, Is.EqualTo(ece).Within(1e-12));
        Assert.That(d.Accuracy, Is.EqualTo(3.0 / 6).Within(1e-15));
        Assert.That(d.MeanConfidence, Is.EqualTo((0.9 + 0.85 + 0.5 + 0.45 + 0.7 + 0.4) / 6).Within(1e-12));
        Assert.That(d.Bins.Select(b => b.Count), Is.EqualTo(new[] { 0, 1, 2, 1, 2 }));
        Assert.That(d.Bins[4].MeanConfidence, Is.EqualTo(0.875).Within(1e-12));
        Assert.That(d.Bins[4].Accuracy, Is.EqualTo(0.5));
        Assert.That(double.IsNaN(d.Bins[0].Accuracy), "an empty bin has no accuracy");
        Assert.That(d.MaximumCalibrationError, Is.EqualTo(0.40).Within(1e-12));
        Assert.That(d.Bins[1].Lower, Is.EqualTo(0.2).Within(1e-15));
    }

    [Test]
    public void FifteenBinEdgesAreUpperInclusive()
    {
        // confidences exactly on every edge b/15 land in bin b-1; a one-hot prediction (confidence 1) in the last
        for (int b = 1; b <= 15; b++)
        {
            double c = (double)b / 15;
            double[] p = c >= 0.5 ? [c, 1 - c] : [c, c, 1 - 2 * c];
            int k = p.Length;
            var d = Calibration.Compute(p, [0], k);
            int bin = d.Bins.Select((x, i) => (x, i)).Single(t => t.x.Count == 1).i;
            if (c > 1.0 / k + 1e-9) Assert.That(bin, Is.EqualTo(b - 1), $"confidence {c}");
        }
    }

    [Test]
    public void PerfectlyCalibratedHasZeroEce()
    {
        // 10 predictions at confidence 0.7 of which 7 are right
        var p = new List<double>();
        var labels = new List<int>();
        for (int i = 0; i < 10; i++)
        {
            p.AddRange([0.7, 0.3]);
            labels.Add(i < 7 ? 0 : 1);
        }
        var d = Calibration.Compute(p.ToArray(), labels.ToArray(), 2);
        Assert.That(d.ExpectedCalibrationError, Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void BadInputIsRefusedWithItsShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Calibration.Compute(new double[5], [0, 1], 3));
        Assert.That(e!.Message, Does.Contain("2 labels x 3 classes"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Compute([0.5, 0.5], [2], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Compute([1.5, -0.5], [0], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Compute([0.5, 0.5], [0], 2, bins: 0));
    }
}

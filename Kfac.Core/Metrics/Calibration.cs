namespace Kfac.Metrics;

/// <summary>One confidence bin of a reliability diagram: the bin's interval (Lower, Upper], how many predictions
/// fell in it, their mean confidence (the top predicted probability) and their accuracy.</summary>
public readonly record struct CalibrationBin(double Lower, double Upper, int Count, double MeanConfidence, double Accuracy);

/// <summary>A reliability diagram (Guo, Pleiss, Sun and Weinberger 2017, "On calibration of modern neural networks",
/// section 2): the predictions grouped by confidence into equal-width bins, and the expected calibration error
/// ECE = sum_b (n_b / n) |acc(b) - conf(b)| (their equation 3). Empty bins have Count 0 and NaN mean confidence and
/// accuracy, and add nothing to the ECE.</summary>
public sealed record ReliabilityDiagram(IReadOnlyList<CalibrationBin> Bins, int Count, double Accuracy, double MeanConfidence, double ExpectedCalibrationError)
{
    /// <summary>max_b |acc(b) - conf(b)| over the non-empty bins (Guo et al.'s MCE).</summary>
    public double MaximumCalibrationError => Bins.Where(b => b.Count > 0).Select(b => Math.Abs(b.Accuracy - b.MeanConfidence)).DefaultIfEmpty(0).Max();
}

/// <summary>Calibration of class-probability predictions: confidence = the largest predicted probability of a row,
/// correct = its argmax (first on ties) equals the label. Bin b of B (0-based) is (b/B, (b+1)/B]; a confidence of
/// exactly 0 goes to the first bin.</summary>
public static class Calibration
{
    /// <summary>The number of bins the classification example and the literature use.</summary>
    public const int DefaultBins = 15;

    /// <param name="probabilities">[n, k] row-major, each row a probability vector (entries in [0, 1]).</param>
    /// <param name="labels">n class indices in [0, k).</param>
    public static ReliabilityDiagram Compute(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int classCount, int bins = DefaultBins)
    {
        if (classCount <= 0) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "need at least one class");
        if (bins <= 0) throw new ArgumentOutOfRangeException(nameof(bins), bins, "need at least one bin");
        int n = labels.Length;
        if (n == 0) throw new ArgumentException("no predictions to calibrate", nameof(labels));
        if (probabilities.Length != n * classCount)
            throw new ArgumentException($"probabilities have {probabilities.Length} values; {n} labels x {classCount} classes need {n * classCount}", nameof(probabilities));
        var count = new int[bins];
        var confidenceSum = new double[bins];
        var correctSum = new int[bins];
        int correct = 0;
        double confidenceTotal = 0;
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), $"example {i} has label {labels[i]}, outside [0, {classCount})");
            var row = probabilities.Slice(i * classCount, classCount);
            int best = 0;
            for (int c = 0; c < classCount; c++)
            {
                if (!(row[c] >= 0 && row[c] <= 1))
                    throw new ArgumentOutOfRangeException(nameof(probabilities), $"probability [{i}, {c}] = {row[c]} is not in [0, 1]");
                if (row[c] > row[best]) best = c;
            }
            double confidence = row[best];
            int b = Math.Clamp((int)Math.Ceiling(confidence * bins) - 1, 0, bins - 1);
            if (b > 0 && confidence <= (double)b / bins) b--; // rounding in confidence * bins (0.2 * 15 > 3): keep (Lower, Upper] exact
            count[b]++;
            confidenceSum[b] += confidence;
            confidenceTotal += confidence;
            if (best == labels[i])
            {
                correctSum[b]++;
                correct++;
            }
        }
        var result = new CalibrationBin[bins];
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            double conf = count[b] > 0 ? confidenceSum[b] / count[b] : double.NaN;
            double acc = count[b] > 0 ? (double)correctSum[b] / count[b] : double.NaN;
            result[b] = new CalibrationBin((double)b / bins, (double)(b + 1) / bins, count[b], conf, acc);
            if (count[b] > 0) ece += (double)count[b] / n * Math.Abs(acc - conf);
        }
        return new ReliabilityDiagram(result, n, (double)correct / n, confidenceTotal / n, ece);
    }
}

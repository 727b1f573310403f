using System.Globalization;
using System.Text;

namespace Kfac.Metrics;

/// <summary>
/// Counts[t, p] = number of examples of true class t predicted as p (scikit-learn's confusion_matrix layout: rows
/// are the truth, columns the prediction). Predictions outside [0, classes) (e.g. -1 for a NaN output) are
/// counted in <see cref="Unpredicted"/> for their true class instead.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;
    private readonly long[] _unpredicted;

    /// <summary>Counts <paramref name="predicted"/> against <paramref name="labels"/> over
    /// <paramref name="classCount"/> classes; every label must be a class index.</summary>
    public ConfusionMatrix(IReadOnlyList<int> predicted, IReadOnlyList<int> labels, int classCount)
    {
        Classification.CheckLengths(predicted, labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ClassCount = classCount;
        _counts = new long[classCount, classCount];
        _unpredicted = new long[classCount];
        for (int i = 0; i < labels.Count; i++)
        {
            int t = labels[i], p = predicted[i];
            if ((uint)t >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), $"example {i} has label {t}, outside [0, {classCount})");
            if ((uint)p < (uint)classCount) _counts[t, p]++;
            else _unpredicted[t]++;
        }
    }

    /// <summary>The number of classes (rows and columns).</summary>
    public int ClassCount { get; }

    /// <summary>Examples of class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth, predicted];

    /// <summary>Examples of class <paramref name="truth"/> whose prediction was not a class index.</summary>
    public long Unpredicted(int truth) => _unpredicted[truth];

    /// <summary>All examples counted.</summary>
    public long Total
    {
        get
        {
            long n = 0;
            for (int t = 0; t < ClassCount; t++) n += Support(t);
            return n;
        }
    }

    /// <summary>Examples whose true class is <paramref name="truth"/> (the row sum plus unpredicted ones).</summary>
    public long Support(int truth)
    {
        long n = _unpredicted[truth];
        for (int p = 0; p < ClassCount; p++) n += _counts[truth, p];
        return n;
    }

    /// <summary>The trace over the total: the accuracy.</summary>
    public double Accuracy
    {
        get
        {
            long correct = 0;
            for (int c = 0; c < ClassCount; c++) correct += _counts[c, c];
            return Total == 0 ? double.NaN : (double)correct / Total;
        }
    }

    /// <summary>Of the examples of class c, the fraction predicted c (NaN for a class with no examples).</summary>
    public double Recall(int c) => Support(c) == 0 ? double.NaN : (double)_counts[c, c] / Support(c);

    /// <summary>Of the examples predicted c, the fraction that are c (NaN when c was never predicted).</summary>
    public double Precision(int c)
    {
        long predicted = 0;
        for (int t = 0; t < ClassCount; t++) predicted += _counts[t, c];
        return predicted == 0 ? double.NaN : (double)_counts[c, c] / predicted;
    }

    /// <summary>A text table (rows: true class, columns: predicted class) with per-class recall, using
    /// <paramref name="classNames"/> when given.</summary>
    public string ToString(IReadOnlyList<string>? classNames)
    {
        if (classNames is not null && classNames.Count != ClassCount)
            throw new ArgumentException($"{classNames.Count} class names for {ClassCount} classes", nameof(classNames));
        string Name(int c) => classNames?[c] ?? c.ToString(CultureInfo.InvariantCulture);
        int width = Math.Max(6, Enumerable.Range(0, ClassCount).Max(c => Name(c).Length) + 1);
        var sb = new StringBuilder();
        sb.Append("true\\pred".PadRight(width + 1));
        for (int p = 0; p < ClassCount; p++) sb.Append(Name(p).PadLeft(width));
        sb.Append("  recall").AppendLine();
        for (int t = 0; t < ClassCount; t++)
        {
            sb.Append(Name(t).PadRight(width + 1));
            for (int p = 0; p < ClassCount; p++) sb.Append(_counts[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            sb.Append(Recall(t).ToString("F3", CultureInfo.InvariantCulture).PadLeft(8)).AppendLine();
        }
        sb.Append(CultureInfo.InvariantCulture, $"accuracy {Accuracy:F4} over {Total} examples");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => ToString(null);
}

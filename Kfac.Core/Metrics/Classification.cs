using Kfac.Tensors;

namespace Kfac.Metrics;

/// <summary>Classification metrics from predicted and true class indices.</summary>
public static class Classification
{
    /// <summary>The predicted class of each row of [N, classes] scores (logits or probabilities): the index of the
    /// row's largest value, the first one on ties (numpy's argmax). A NaN score makes the row's prediction -1
    /// (counted wrong), so a diverged model is never reported as accurate.</summary>
    public static int[] ArgMax(Tensor scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Rank != 2 || scores.Shape[1] == 0)
            throw new ShapeMismatchException($"ArgMax needs [examples, classes] scores, got {scores.Shape}", nameof(scores));
        int n = scores.Shape[0], k = scores.Shape[1];
        var s = scores.ToDoubleArray();
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            bool nan = false;
            for (int c = 0; c < k; c++)
            {
                double v = s[i * k + c];
                if (double.IsNaN(v)) { nan = true; break; }
                if (v > s[i * k + best]) best = c;
            }
            result[i] = nan ? -1 : best;
        }
        return result;
    }

    /// <summary>The fraction of examples whose prediction equals the label.</summary>
    public static double Accuracy(IReadOnlyList<int> predicted, IReadOnlyList<int> labels)
    {
        CheckLengths(predicted, labels);
        if (labels.Count == 0) throw new ArgumentException("accuracy of no examples is undefined", nameof(labels));
        int correct = 0;
        for (int i = 0; i < labels.Count; i++) if (predicted[i] == labels[i]) correct++;
        return (double)correct / labels.Count;
    }

    internal static void CheckLengths(IReadOnlyList<int> predicted, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(labels);
        if (predicted.Count != labels.Count)
            throw new ArgumentException($"{predicted.Count} predictions but {labels.Count} labels", nameof(predicted));
    }
}

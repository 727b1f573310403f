using Kfac.Autodiff;
using Kfac.Metrics;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>Monte Carlo predictions of a Bayesian classifier.</summary>
/// <param name="Probabilities">[n, k] row-major: p(c | x_i) = (1/S) sum_s softmax(f(x_i; w_s))_c.</param>
/// <param name="Accuracy">fraction of rows whose averaged-probability argmax is the label.</param>
/// <param name="LogLikelihood">mean over rows of log (1/S) sum_s softmax(f(x_i; w_s))_{y_i} (log-mean-exp of the
/// per-sample log-softmax), i.e. the log of the averaged probability of the true class.</param>
/// <param name="Calibration">reliability diagram and ECE of <see cref="Probabilities"/>.</param>
public sealed record ClassificationPrediction(double[] Probabilities, double Accuracy, double LogLikelihood, ReliabilityDiagram Calibration);

/// <summary>
/// The classification predictive by Monte Carlo over posterior samples (Zhang et al. 2018, section 5.1; Blundell et
/// al. 2015, section 3.4): for s = 1..S draw w_s ~ q(w), run the network at w_s on all inputs (the mean is restored
/// after), and average the SOFTMAX PROBABILITIES (not the logits): p(y | x) = (1/S) sum_s softmax(f(x; w_s))_y. Logits
/// are turned into log-probabilities in double precision (max-shifted log-sum-exp), the test log-likelihood is the
/// log-mean-exp over samples of the true class's log-probability.
/// </summary>
public static class PredictiveClassification
{
    /// <param name="forward">the network, logits [rows, k] for input rows.</param>
    /// <param name="inputBatches">the test inputs as consecutive row blocks [rows_j, ...] (so a large test set is run a
    /// block at a time); their rows, in order, are the <paramref name="labels"/>' examples.</param>
    public static ClassificationPrediction Evaluate(Func<Tensor, Tensor> forward, IWeightPosterior posterior, IReadOnlyList<Tensor> inputBatches,
        ReadOnlySpan<int> labels, int classCount, int samples, System.Random rng, int bins = Metrics.Calibration.DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(posterior);
        ArgumentNullException.ThrowIfNull(inputBatches);
        ArgumentNullException.ThrowIfNull(rng);
        int n = inputBatches.Sum(b => b.Shape[0]), k = classCount;
        if (labels.Length != n) throw new ArgumentException($"{labels.Length} labels for {n} input rows in {inputBatches.Count} blocks", nameof(labels));
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "need at least one class");
        if (samples <= 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, "must be positive");
        for (int i = 0; i < n; i++)
            if ((uint)labels[i] >= (uint)k) throw new ArgumentOutOfRangeException(nameof(labels), $"example {i} has label {labels[i]}, outside [0, {k})");
        var sampler = new WeightSampler(posterior.Parameters);
        var sample = HostValues.Like(posterior.Parameters);
        var probabilities = new double[n * k];
        var trueLogProb = new double[n * samples];
        var logits = new double[inputBatches.Max(b => b.Shape[0]) * k];
        var logProb = new double[k];
        for (int s = 0; s < samples; s++)
        {
            posterior.Sample(rng, sample);
            using var applied = sampler.Apply(sample);
            int start = 0;
            foreach (var block in inputBatches)
            {
                int rows = block.Shape[0];
                using (TensorScope.Begin())
                using (GradMode.Disable())
                {
                    var output = forward(block);
                    if (output.Numel != rows * k)
                        throw new ArgumentException($"the network's output {output.Shape} is not [{rows}, {k}] logits", nameof(forward));
                    HostValues.Read(output, logits.AsSpan(0, rows * k));
                }
                for (int r = 0; r < rows; r++)
                {
                    int i = start + r;
                    LogSoftmax(logits.AsSpan(r * k, k), logProb);
                    for (int c = 0; c < k; c++) probabilities[i * k + c] += Math.Exp(logProb[c]) / samples;
                    trueLogProb[i * samples + s] = logProb[labels[i]];
                }
                start += rows;
            }
        }
        double ll = 0;
        for (int i = 0; i < n; i++) ll += PredictiveMonteCarlo.LogMeanExp(trueLogProb.AsSpan(i * samples, samples));
        // clamp the rounding of the sums into [0, 1] for the calibration's range check
        for (int j = 0; j < probabilities.Length; j++) probabilities[j] = Math.Clamp(probabilities[j], 0, 1);
        var calibration = Metrics.Calibration.Compute(probabilities, labels, k, bins);
        return new ClassificationPrediction(probabilities, calibration.Accuracy, ll / n, calibration);
    }

    /// <summary>log softmax(z)_c = z_c - max - log sum_j exp(z_j - max), in double.</summary>
    public static void LogSoftmax(ReadOnlySpan<double> z, Span<double> into)
    {
        if (into.Length != z.Length) throw new ArgumentException($"output has {into.Length} entries for {z.Length} logits", nameof(into));
        double max = double.NegativeInfinity;
        foreach (var v in z) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in z) sum += Math.Exp(v - max);
        double log = max + Math.Log(sum);
        for (int c = 0; c < z.Length; c++) into[c] = z[c] - log;
    }
}

using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>Predictions of a Bayesian regression network in the targets' original units (y = mean + std * h).</summary>
/// <param name="Mean">predictive mean per point, (1/S) sum_s y_s.</param>
/// <param name="Variance">predictive variance per point: the spread of the y_s plus the expected noise std^2 E[1/tau].</param>
/// <param name="Rmse">root mean squared error of the predictive mean.</param>
/// <param name="LogLikelihood">mean over points of log (1/S) sum_s N(y | y_s, std^2 / tau_s).</param>
public sealed record RegressionPrediction(double[] Mean, double[] Variance, double Rmse, double LogLikelihood);

/// <summary>
/// Monte Carlo over posterior samples (Zhang et al. 2018, section 5.2, the authors' evaluation): for s = 1..S draw
/// w_s ~ q(w) and tau_s ~ q(tau), run the network at w_s (restoring the mean after), and average. The test
/// log-likelihood per point is log mean_s N(y | h_s, 1/tau_s) in standardised units minus log std_y (the Jacobian of
/// the standardisation), computed by a max-shifted log-mean-exp.
/// </summary>
public static class PredictiveMonteCarlo
{
    /// <summary>log((1/n) sum_i exp(x_i)), shifted by the maximum so that no exp overflows.</summary>
    public static double LogMeanExp(ReadOnlySpan<double> x)
    {
        if (x.Length == 0) throw new ArgumentException("log-mean-exp of no values", nameof(x));
        double max = double.NegativeInfinity;
        foreach (var v in x) max = Math.Max(max, v);
        if (double.IsNegativeInfinity(max)) return max;
        if (!double.IsFinite(max)) return max;
        double sum = 0;
        foreach (var v in x) sum += Math.Exp(v - max);
        return max + Math.Log(sum / x.Length);
    }

    /// <summary>Predictive distribution of a regression network over <paramref name="samples"/> draws of (w, tau) from <paramref name="posterior"/> and <paramref name="noise"/>, in the original target units (targets standardised by <paramref name="targetMean"/>, <paramref name="targetStd"/>).</summary>
    public static RegressionPrediction Regression(Func<Tensor, Tensor> forward, IWeightPosterior posterior, GammaNoise noise,
        Tensor inputs, ReadOnlySpan<double> targets, double targetMean, double targetStd, int samples, System.Random rng)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(posterior);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(rng);
        int n = inputs.Shape[0];
        if (targets.Length != n) throw new ArgumentException($"{targets.Length} targets for {n} input rows", nameof(targets));
        if (!(targetStd > 0)) throw new ArgumentOutOfRangeException(nameof(targetStd), targetStd, "must be positive");
        if (samples <= 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, "must be positive");
        var sampler = new WeightSampler(posterior.Parameters);
        var sample = HostValues.Like(posterior.Parameters);
        var h = new double[n];
        var logp = new double[n * samples];
        var sum = new double[n];
        var sumSq = new double[n];
        double noiseVar = 0;
        double logStd = Math.Log(targetStd);
        for (int s = 0; s < samples; s++)
        {
            posterior.Sample(rng, sample);
            double tau = noise.SamplePrecision(rng);
            using (var scope = TensorScope.Begin())
            using (GradMode.Disable())
            using (sampler.Apply(sample))
            {
                var output = forward(inputs);
                if (output.Numel != n) throw new ArgumentException($"the network's output {output.Shape} is not one value per input row", nameof(forward));
                HostValues.Read(output, h);
            }
            noiseVar += targetStd * targetStd / tau;
            for (int i = 0; i < n; i++)
            {
                double y = targetMean + targetStd * h[i];
                sum[i] += y;
                sumSq[i] += y * y;
                double z = (targets[i] - targetMean) / targetStd - h[i];
                logp[i * samples + s] = 0.5 * Math.Log(tau / (2 * Math.PI)) - 0.5 * tau * z * z - logStd;
            }
        }
        var mean = new double[n];
        var variance = new double[n];
        double se = 0, ll = 0;
        for (int i = 0; i < n; i++)
        {
            mean[i] = sum[i] / samples;
            variance[i] = Math.Max(0, sumSq[i] / samples - mean[i] * mean[i]) + noiseVar / samples;
            se += (targets[i] - mean[i]) * (targets[i] - mean[i]);
            ll += LogMeanExp(logp.AsSpan(i * samples, samples));
        }
        return new RegressionPrediction(mean, variance, Math.Sqrt(se / n), ll / n);
    }
}

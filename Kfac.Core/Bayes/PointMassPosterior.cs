using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// The "posterior" of a point estimate: all mass at the network's current weights. Sampling returns the weights, so
/// the predictive Monte Carlo of a point estimate is its plain prediction (one sample suffices); the KL to a Gaussian
/// prior is infinite. Lets point-estimate baselines (Adam, K-FAC) go through the same evaluation as the posteriors.
/// </summary>
public sealed class PointMassPosterior : IWeightPosterior
{
    /// <summary>All mass at the current values of <paramref name="parameters"/>; <paramref name="priorVariance"/> is only reported.</summary>
    public PointMassPosterior(IReadOnlyList<Tensor> parameters, double priorVariance = 1)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0) throw new ArgumentException("no parameters", nameof(parameters));
        GaussianKl.CheckEta(priorVariance);
        Parameters = parameters.ToArray();
        PriorVariance = priorVariance;
    }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <inheritdoc/>
    public double PriorVariance { get; }

    /// <summary>Writes the current weights (the only point of the distribution).</summary>
    public void Sample(System.Random rng, double[][] into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (into.Length != Parameters.Count) throw new ArgumentException($"{into.Length} buffers for {Parameters.Count} parameters", nameof(into));
        for (int i = 0; i < Parameters.Count; i++) HostValues.Read(Parameters[i], into[i]);
    }

    /// <summary>Always +infinity: a point mass has infinite KL to a Gaussian.</summary>
    public double KlToPrior() => double.PositiveInfinity;
}

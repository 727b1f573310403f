using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// The fully factorised Gaussian (FFG) q(w) = prod_i N(w_i; mu_i, sigma_i^2): the posterior of noisy Adam
/// (sigma^2 = (lambda/N) / (f + gamma_in), Zhang et al. 2018, Algorithm 1) and of Bayes by Backprop
/// (sigma = softplus(rho), Blundell et al. 2015). Means are the parameters' values; variances are kept here in double.
/// </summary>
public sealed class FactorizedGaussianPosterior : IWeightPosterior
{
    private readonly double[][] _mean, _noise;

    /// <summary>A posterior over <paramref name="parameters"/> with every variance set to <paramref name="initialVariance"/> (positive, finite) and prior N(0, <paramref name="priorVariance"/> I).</summary>
    public FactorizedGaussianPosterior(IReadOnlyList<Tensor> parameters, double priorVariance, double initialVariance)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        GaussianKl.CheckEta(priorVariance);
        if (!(initialVariance > 0) || double.IsInfinity(initialVariance))
            throw new ArgumentOutOfRangeException(nameof(initialVariance), initialVariance, "must be positive and finite");
        Parameters = parameters.ToArray();
        PriorVariance = priorVariance;
        Variance = HostValues.Like(Parameters);
        foreach (var v in Variance) Array.Fill(v, initialVariance);
        _mean = HostValues.Like(Parameters);
        _noise = HostValues.Like(Parameters);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <inheritdoc/>
    public double PriorVariance { get; }

    /// <summary>sigma^2 per parameter entry (same layout as the parameters); the owning optimizer keeps it current.</summary>
    public double[][] Variance { get; }

    /// <summary>w_i = mu_i + sigma_i eps_i with eps_i ~ N(0, 1), mu read from the parameters.</summary>
    public void Sample(System.Random rng, double[][] into)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(into);
        for (int i = 0; i < Parameters.Count; i++)
        {
            HostValues.Read(Parameters[i], into[i]);
            var v = Variance[i];
            var w = into[i];
            var e = _noise[i];
            Gaussian.Fill(rng, e);
            for (int j = 0; j < w.Length; j++) w[j] += Math.Sqrt(v[j]) * e[j];
        }
    }

    /// <summary>sum_i KL(N(mu_i, sigma_i^2)</summary>
    /// N(0, eta)) = 1/2 sum_i (sigma_i^2/eta + mu_i^2/eta - 1 - log(sigma_i^2/eta)).
    public double KlToPrior()
    {
        double kl = 0;
        for (int i = 0; i < Parameters.Count; i++)
        {
            HostValues.Read(Parameters[i], _mean[i]);
            kl += GaussianKl.Factorized(_mean[i], Variance[i], PriorVariance);
        }
        return kl;
    }
}

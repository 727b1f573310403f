namespace Kfac.Bayes;

/// <summary>The evidence lower bound of a Bayesian regression network and its parts:
/// ELBO = E_q[log p(D | w, tau)] - KL(q(w) || p(w)) - KL(q(tau) || p(tau)).</summary>
public readonly record struct ElboEstimate(double ExpectedLogLikelihood, double WeightKl, double NoiseKl)
{
    /// <summary>ELBO = ExpectedLogLikelihood - WeightKl - NoiseKl.</summary>
    public double Value => ExpectedLogLikelihood - WeightKl - NoiseKl;

    /// <summary>
    /// The mini-batch estimate: with sum r^2 over m points (at weights sampled from q, averaged over particles),
    /// E_q[log p(D)] ~= (N/m) sum_i E_q(tau)[log N(y_i | h_i, 1/tau)] (closed form in tau, see <see cref="GammaNoise"/>),
    /// and the KLs in closed form.
    /// </summary>
    public static ElboEstimate Regression(GammaNoise noise, IWeightPosterior posterior, double sumSquaredResiduals, int batchSize, int trainingSetSize)
    {
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(posterior);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        double ell = noise.ExpectedLogLikelihood(sumSquaredResiduals, batchSize) * trainingSetSize / batchSize;
        return new ElboEstimate(ell, posterior.KlToPrior(), noise.KlToPrior());
    }
}

namespace Kfac.Bayes;

/// <summary>
/// Closed-form KL divergences of Gaussian weight posteriors to the isotropic prior N(0, eta I) (the Gaussian KL
/// used throughout Zhang, Sun, Duvenaud and Grosse 2018, section 2.2):
/// KL(N(mu, Sigma) || N(0, eta I)) = 1/2 [ tr(Sigma)/eta + |mu|^2/eta - d + d log eta - log det Sigma ].
/// For the matrix-variate posterior Sigma = c U (x) V with U [p, p], V [q, q] SPD and d = p q:
/// tr(Sigma) = c tr U tr V and log det Sigma = d log c + q log det U + p log det V.
/// </summary>
public static class GaussianKl
{
    /// <summary>KL of the fully factorised N(mean, diag(variance)) to N(0, eta I).</summary>
    public static double Factorized(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, double eta)
    {
        CheckEta(eta);
        if (mean.Length != variance.Length)
            throw new ArgumentException($"mean has {mean.Length} entries, variance {variance.Length}", nameof(variance));
        double kl = 0;
        for (int i = 0; i < mean.Length; i++)
        {
            double v = variance[i];
            if (!(v > 0)) throw new ArgumentOutOfRangeException(nameof(variance), v, $"variance[{i}] must be positive");
            kl += v / eta + mean[i] * mean[i] / eta - 1 - Math.Log(v / eta);
        }
        return 0.5 * kl;
    }

    /// <summary>
    /// KL of the matrix-variate N(vec M, c U (x) V) to N(0, eta I), given |M|^2, the traces and log-determinants of
    /// U (p x p) and V (q x q) and c.
    /// </summary>
    public static double MatrixVariate(double meanSquaredNorm, double scale, double traceU, double logDetU, int p,
        double traceV, double logDetV, int q, double eta)
    {
        CheckEta(eta);
        if (!(scale > 0)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "covariance scale must be positive");
        double d = (double)p * q;
        double trace = scale * traceU * traceV;
        double logDet = d * Math.Log(scale) + q * logDetU + p * logDetV;
        return 0.5 * (trace / eta + meanSquaredNorm / eta - d + d * Math.Log(eta) - logDet);
    }

    /// <summary>KL of N(mean, Sigma) in d dimensions to N(0, eta I) from |mean|^2, tr Sigma and log det Sigma.</summary>
    public static double FromTraceAndLogDet(double meanSquaredNorm, double trace, double logDet, int d, double eta)
    {
        CheckEta(eta);
        if (!(trace > 0) || !double.IsFinite(logDet))
            throw new ArgumentOutOfRangeException(nameof(trace), trace, $"covariance trace must be positive and log det finite (log det {logDet})");
        return 0.5 * (trace / eta + meanSquaredNorm / eta - d + d * Math.Log(eta) - logDet);
    }

    /// <summary>The dense formula for any SPD covariance [d, d] (row-major), via its Cholesky factor: the oracle.</summary>
    public static double Dense(ReadOnlySpan<double> mean, ReadOnlySpan<double> covariance, double eta)
    {
        CheckEta(eta);
        int d = mean.Length;
        if (covariance.Length != d * d) throw new ArgumentException($"covariance has {covariance.Length} entries, expected {d} x {d}", nameof(covariance));
        var l = covariance.ToArray();
        Kfac.Linalg.Cholesky.Factor<double>(l, d);
        double logDet = 0, trace = 0, norm = 0;
        for (int i = 0; i < d; i++)
        {
            logDet += 2 * Math.Log(l[i * d + i]);
            trace += covariance[i * d + i];
            norm += mean[i] * mean[i];
        }
        return 0.5 * (trace / eta + norm / eta - d + d * Math.Log(eta) - logDet);
    }

    internal static void CheckEta(double eta)
    {
        if (!(eta > 0) || double.IsInfinity(eta)) throw new ArgumentOutOfRangeException(nameof(eta), eta, "prior variance eta must be positive and finite");
    }
}

namespace Kfac.Curvature;

/// <summary>
/// The KL-clipped step scale of ACKTR (Wu et al. 2017, section 3.1; openai/baselines kfac.py "KL clipping") and of
/// noisy K-FAC's mean update (<see cref="Kfac.Bayes.NoisyKfac.KlClip"/>).
/// For the step lr Delta with Delta = F^-1 g, the KL change is predicted by the quadratic model as
/// (1/2) lr^2 Delta^T F Delta = (1/2) lr^2 g^T Delta. baselines scales the step by
///   nu = min(1, sqrt(delta / (lr^2 g^T Delta))),
/// so that (lr nu)^2 g^T Delta = delta when the bound is active: the predicted KL is delta / 2. This is the
/// paper's eta = min(eta_max, sqrt(2 delta' / (Delta^T F Delta))) with delta' = delta / 2 (the factor 2 absorbed
/// in delta, as MATH.md notes); we implement baselines' form with delta = 0.001.
/// </summary>
public static class TrustRegion
{
    /// <summary>nu in (0, 1]; 1 when g^T Delta is not positive (a positive definite preconditioner gives
    /// g^T Delta &gt;= 0; 0 means a zero gradient).</summary>
    public static double Scale(double learningRate, double gradientDotDelta, double klClip)
    {
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be positive");
        if (!(klClip > 0)) throw new ArgumentOutOfRangeException(nameof(klClip), klClip, "must be positive");
        if (!double.IsFinite(gradientDotDelta)) throw new ArgumentOutOfRangeException(nameof(gradientDotDelta), gradientDotDelta, "must be finite");
        double quadratic = learningRate * learningRate * gradientDotDelta;
        if (quadratic <= 0) return 1;
        return Math.Min(1, Math.Sqrt(klClip / quadratic));
    }
}

namespace Kfac.Optim.Kfac;

/// <summary>
/// The Levenberg-Marquardt rule for lambda (section 6.5): rho = (h(theta + delta) - h(theta)) / (M(delta) - M(0))
/// compares the actual change of the objective with the quadratic model's prediction; rho > 3/4 means the
/// model is trustworthy (lambda &lt;- omega1 lambda), rho &lt; 1/4 that it is not (lambda &lt;- lambda / omega1).
/// A NaN rho counts as below 1/4. The result is clamped to [min, max].
/// </summary>
public static class LevenbergMarquardt
{
    /// <summary>rho = (hAfter - hBefore) / modelChange, or NaN unless the model predicted a decrease (modelChange &lt; 0).</summary>
    public static double Rho(double hBefore, double hAfter, double modelChange) =>
        modelChange < 0 ? (hAfter - hBefore) / modelChange : double.NaN;

    /// <summary>The next lambda: omega1 lambda if rho &gt; 3/4, lambda / omega1 if rho &lt; 1/4 or NaN, else lambda; clamped to [min, max].</summary>
    public static double Adjust(double lambda, double rho, double omega1, double min, double max)
    {
        double next = rho > 0.75 ? omega1 * lambda
                    : rho < 0.25 || double.IsNaN(rho) ? lambda / omega1
                    : lambda;
        return Math.Clamp(next, min, max);
    }
}

namespace Kfac.Curvature;

/// <summary>
/// Factored Tikhonov damping (Martens &amp; Grosse 2015, section 6.3). Adding gamma^2 I to A (x) G is
/// approximated by damping each factor: (A + pi gamma I) (x) (G + gamma / pi I), with
/// pi = sqrt( (tr(A) / dim A) / (tr(G) / dim G) ) chosen to minimise the norm of the cross terms
/// (pi = 1 if either trace is 0). Here gamma is the paper's per-factor strength (section 6.6), initialised
/// to sqrt(lambda + eta); the implied damping of the product is about gamma^2.
/// </summary>
public static class FactoredDamping
{
    /// <summary>pi = sqrt((traceA / dimA) / (traceG / dimG)), or 1 when either trace is 0 (section 6.3).</summary>
    public static double Pi(double traceA, int dimA, double traceG, int dimG)
    {
        double a = traceA / dimA, g = traceG / dimG;
        if (!(a > 0) || !(g > 0) || double.IsInfinity(a) || double.IsInfinity(g)) return 1;
        return Math.Sqrt(a / g);
    }

    /// <summary>The damping added to the input-side factor A: pi gamma.</summary>
    public static double InputDamping(double pi, double gamma) => pi * gamma;

    /// <summary>The damping added to the output-side factor G: gamma / pi.</summary>
    public static double OutputDamping(double pi, double gamma) => gamma / pi;
}

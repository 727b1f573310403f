namespace Kfac.Optim.Kfac;

/// <summary>
/// The damped quadratic model of section 7 of Martens & Grosse 2015 restricted to the plane spanned by
/// the proposed direction Delta and the previous update delta0:
/// M(delta) = 1/2 delta^T (F + c I) delta + grad^T delta, delta = alpha Delta + mu delta0, c = lambda + eta,
/// with F the exact mini-batch Fisher (its quadratic forms come from Jacobian-vector products).
/// Minimising over (alpha, mu) is the 2x2 solve
/// [[D^T F D + c|D|^2, D^T F d0 + c D^T d0], [.., d0^T F d0 + c|d0|^2]] [alpha; mu] = -[grad^T D; grad^T d0].
/// </summary>
public static class QuadraticModel
{
    /// <summary>Quadratic forms and inner products that determine the model on the (Delta, delta0) plane.</summary>
    public readonly record struct Terms(
        double DeltaFDelta, double DeltaFPrevious, double PreviousFPrevious,
        double DeltaDelta, double DeltaPrevious, double PreviousPrevious,
        double GradDelta, double GradPrevious);

    public readonly record struct Solution(double Alpha, double Mu, double Value);

    /// <summary>The minimiser; with <paramref name="useMomentum"/> false, a zero previous update or a singular
    /// system, mu = 0 and alpha = -grad^T Delta / (Delta^T F Delta + c |Delta|^2).</summary>
    public static Solution Solve(in Terms t, double c, bool useMomentum)
    {
        double a00 = t.DeltaFDelta + c * t.DeltaDelta;
        double a01 = t.DeltaFPrevious + c * t.DeltaPrevious;
        double a11 = t.PreviousFPrevious + c * t.PreviousPrevious;
        if (!(a00 > 0)) return new Solution(0, 0, 0);
        if (useMomentum && t.PreviousPrevious > 0)
        {
            double det = a00 * a11 - a01 * a01;
            if (det > 1e-12 * a00 * a11)
            {
                double alpha = (-t.GradDelta * a11 + t.GradPrevious * a01) / det;
                double mu = (-t.GradPrevious * a00 + t.GradDelta * a01) / det;
                return new Solution(alpha, mu, Value(t, c, alpha, mu));
            }
        }
        double a = -t.GradDelta / a00;
        return new Solution(a, 0, Value(t, c, a, 0));
    }

    /// <summary>M(alpha Delta + mu delta0).</summary>
    public static double Value(in Terms t, double c, double alpha, double mu)
    {
        double quad = alpha * alpha * (t.DeltaFDelta + c * t.DeltaDelta)
                    + 2 * alpha * mu * (t.DeltaFPrevious + c * t.DeltaPrevious)
                    + mu * mu * (t.PreviousFPrevious + c * t.PreviousPrevious);
        return 0.5 * quad + alpha * t.GradDelta + mu * t.GradPrevious;
    }
}

namespace Kfac.Optim.Kfac;

/// <summary>
/// The damped quadratic model of section 7 of Martens &amp; Grosse 2015 restricted to the plane spanned by
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

    /// <summary>The chosen (alpha, mu) and the model's value there; <see cref="Failure"/> says why the model cannot be
    /// used (then alpha = mu = 0 and the step must be rejected, never silently skipped).</summary>
    public readonly record struct Solution(double Alpha, double Mu, double Value)
    {
        /// <summary>Why the model cannot be used (non-finite or non-positive-definite terms), or null for a usable solution.</summary>
        public string? Failure { get; init; }

        /// <summary>A failed solution (alpha = mu = value = 0) with reason <paramref name="why"/>.</summary>
        public static Solution Failed(string why) => new(0, 0, 0) { Failure = why };
    }

    /// <summary>
    /// The minimiser; with <paramref name="useMomentum"/> false or a zero previous update, mu = 0 and
    /// alpha = -grad^T Delta / (Delta^T F Delta + c |Delta|^2). A system whose determinant vanishes to rounding
    /// (Delta and delta0 collinear in the (F + c I) metric) also falls back to mu = 0. Non-finite terms, a
    /// non-positive diagonal or a negative determinant (F + c I is positive definite, so these only come from
    /// numerical trouble) give a <see cref="Solution.Failure"/>.
    /// </summary>
    /// <remarks>With a finite <paramref name="momentumLimit"/> the minimiser is taken over the band |mu| &lt;= limit: M is
    /// convex, so min over alpha of M(alpha, mu) is a convex parabola in mu with its minimum at the unconstrained mu*,
    /// and the band's minimiser is mu = the limit on mu*'s side with alpha = -(grad^T D + mu a01) / a00.</remarks>
    public static Solution Solve(in Terms t, double c, bool useMomentum, double momentumLimit = double.PositiveInfinity)
    {
        if (!AllFinite(t) || !double.IsFinite(c))
            return Solution.Failed($"non-finite quadratic model terms ({t}, c = {c})");
        double a00 = t.DeltaFDelta + c * t.DeltaDelta;
        double a01 = t.DeltaFPrevious + c * t.DeltaPrevious;
        double a11 = t.PreviousFPrevious + c * t.PreviousPrevious;
        if (!(a00 > 0)) return Solution.Failed($"Delta^T (F + c I) Delta = {a00:G4} is not positive");
        if (useMomentum && t.PreviousPrevious > 0)
        {
            if (!(a11 > 0)) return Solution.Failed($"delta0^T (F + c I) delta0 = {a11:G4} is not positive");
            double det = a00 * a11 - a01 * a01;
            if (det < -1e-9 * a00 * a11) return Solution.Failed($"the 2x2 system is not positive definite (det {det:G4}, diagonal {a00:G4}, {a11:G4})");
            if (det > 1e-12 * a00 * a11)
            {
                double alpha = (-t.GradDelta * a11 + t.GradPrevious * a01) / det;
                double mu = (-t.GradPrevious * a00 + t.GradDelta * a01) / det;
                if (Math.Abs(mu) > momentumLimit)
                {
                    mu = Math.CopySign(momentumLimit, mu);
                    alpha = -(t.GradDelta + mu * a01) / a00;
                }
                return Checked(new Solution(alpha, mu, Value(t, c, alpha, mu)));
            }
        }
        double a = -t.GradDelta / a00;
        return Checked(new Solution(a, 0, Value(t, c, a, 0)));
    }

    /// <summary>
    /// Null when the solution's predicted change is possible, else why not: M(delta) must be finite and the
    /// predicted decrease -M(delta) cannot exceed <paramref name="headroom"/> = h(theta) - (lower bound of h), since
    /// the objective cannot fall below its bound. A violation means the model is far outside the region where it
    /// describes h (typically lambda too small for directions of low sampled curvature).
    /// </summary>
    public static string? Implausible(in Solution s, double headroom) =>
        s.Failure ?? (-s.Value > headroom
            ? $"the quadratic model predicts a decrease of {-s.Value:G4}, more than the objective can fall ({headroom:G4}; alpha {s.Alpha:G4}, mu {s.Mu:G4})"
            : null);

    /// <summary>
    /// The implausible minimiser <paramref name="s"/> shortened along its own ray to a plausible step. Because s is the
    /// model's minimiser on its plane, it is also the minimiser on the ray t -> t (alpha Delta + mu delta0), where
    /// M(t) = V (2t - t^2) with V = M(1) &lt; 0. Setting M(t) = -f H (H = <paramref name="headroom"/>, f =
    /// <paramref name="fraction"/>, so -f H &gt; V) gives 2t - t^2 = r = f H / (-V) in (0, 1), t = 1 - sqrt(1 - r).
    /// Returns a failed solution when s failed, is not a descent step, or the headroom is not positive.
    /// </summary>
    public static Solution ShrinkToPlausible(in Solution s, double headroom, double fraction)
    {
        if (s.Failure is not null) return s;
        if (!(s.Value < 0) || !(headroom > 0) || !(fraction > 0 && fraction < 1))
            return Solution.Failed($"cannot shrink the step (M {s.Value:G4}, headroom {headroom:G4}, fraction {fraction})");
        double r = fraction * headroom / -s.Value;
        if (r >= 1) return s; // already plausible at the requested fraction
        double t = r / (1 + Math.Sqrt(1 - r)); // = 1 - sqrt(1 - r) without cancellation for small r
        return Checked(new Solution(t * s.Alpha, t * s.Mu, s.Value * (2 * t - t * t)));
    }

    private static Solution Checked(Solution s) =>
        double.IsFinite(s.Alpha) && double.IsFinite(s.Mu) && double.IsFinite(s.Value) ? s
        : Solution.Failed($"non-finite solution (alpha {s.Alpha}, mu {s.Mu}, M {s.Value})");

    private static bool AllFinite(in Terms t) =>
        double.IsFinite(t.DeltaFDelta) && double.IsFinite(t.DeltaFPrevious) && double.IsFinite(t.PreviousFPrevious)
        && double.IsFinite(t.DeltaDelta) && double.IsFinite(t.DeltaPrevious) && double.IsFinite(t.PreviousPrevious)
        && double.IsFinite(t.GradDelta) && double.IsFinite(t.GradPrevious);

    /// <summary>M(alpha Delta + mu delta0).</summary>
    public static double Value(in Terms t, double c, double alpha, double mu)
    {
        double quad = alpha * alpha * (t.DeltaFDelta + c * t.DeltaDelta)
                    + 2 * alpha * mu * (t.DeltaFPrevious + c * t.DeltaPrevious)
                    + mu * mu * (t.PreviousFPrevious + c * t.PreviousPrevious);
        return 0.5 * quad + alpha * t.GradDelta + mu * t.GradPrevious;
    }
}

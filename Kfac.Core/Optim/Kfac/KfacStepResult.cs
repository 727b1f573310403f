namespace Kfac.Optim.Kfac;

/// <summary>What one K-FAC step did (for logs and tests).</summary>
public sealed record KfacStepResult
{
    /// <summary>The mini-batch loss before the update (without the L2 term).</summary>
    public double Loss { get; init; }

    /// <summary>h(theta) = loss + eta/2 |theta|^2 before the update.</summary>
    public double Objective { get; init; }

    /// <summary>alpha, the step size on the preconditioned direction chosen by the quadratic model (or the rule in use).</summary>
    public double Alpha { get; init; }

    /// <summary>mu, the coefficient of the previous update (0 without momentum).</summary>
    public double Mu { get; init; }

    /// <summary>The quadratic model's predicted change M(delta) (NaN when not computed).</summary>
    public double ModelChange { get; init; } = double.NaN;

    /// <summary>The reduction ratio of the Levenberg-Marquardt rule (NaN on steps that do not adapt lambda).</summary>
    public double Rho { get; init; } = double.NaN;

    /// <summary>The Levenberg-Marquardt damping lambda after this step.</summary>
    public double Lambda { get; init; }

    /// <summary>The per-factor damping gamma after this step.</summary>
    public double Gamma { get; init; }

    /// <summary>True when the step was rejected (non-finite loss or update, an implausible quadratic model, a loss that
    /// grew past the guard); the weights were left as, or put back to, what they were before the rejected update.</summary>
    public bool Rejected { get; init; }

    /// <summary>Why the step was rejected, or null when it was not.</summary>
    public string? RejectionReason { get; init; }

    /// <summary>True when the quadratic model's step was implausible and was shortened instead of rejected
    /// (<see cref="ImplausibleStepRule.Shrink"/>).</summary>
    public bool Shrunk { get; init; }

    /// <summary>Steps rejected since the start of training (this one included).</summary>
    public long Rejections { get; init; }

    /// <summary>Steps shortened instead of rejected since this optimizer was created (this one included;
    /// <see cref="KfacOptimizer.ShrunkSteps"/>).</summary>
    public long ShrunkSteps { get; init; }
}

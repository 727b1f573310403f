using Kfac.Autodiff;
using Kfac.Linalg;

namespace Kfac.Optim.Kfac;

/// <summary>
/// The guards of every step (issue 13): a step that would leave non-finite weights, an implausible quadratic model or
/// a blown-up loss is rejected; the last update is undone when it is the culprit, lambda (and gamma) go up, and the
/// inverses are repaired with the stronger damping.
/// </summary>
public sealed partial class KfacOptimizer
{
    /// <summary>Rejects the step for <paramref name="reason"/>: the weights back to the backup when
    /// <paramref name="rollback"/> (and the last update is not undone yet), momentum cleared, lambda multiplied by
    /// <see cref="KfacOptions.RejectionLambdaFactor"/>, gamma raised by its rule, and the inverses repaired.</summary>
    private KfacStepResult Reject(double loss, double objective, string reason, bool rollback)
    {
        ReleaseParameterHold();
        if (rollback && Iteration > 0 && !_lastUpdateUndone)
        {
            using (GradMode.Disable()) ParameterVectors.Copy(_backup, _parameters);
            _lastUpdateUndone = true;
        }
        ParameterVectors.Fill(_previous, 0);
        Rejections++;
        Lambda = Math.Clamp(Lambda * Options.RejectionLambdaFactor, Options.MinLambda, Options.MaxLambda);
        Gamma = Options.GammaRule switch
        {
            GammaRule.TiedToLambda => Options.TiedGamma(Lambda),
            GammaRule.Search => Math.Clamp(Gamma / Options.Omega2, Options.MinGamma, Options.MaxGamma),
            GammaRule.Fixed => Gamma,
            _ => throw new InvalidOperationException($"unknown gamma rule {Options.GammaRule}"),
        };
        RepairInverses();
        return new KfacStepResult { Loss = loss, Objective = objective, Lambda = Lambda, Gamma = Gamma, Rejected = true, RejectionReason = reason, Rejections = Rejections, ShrunkSteps = ShrunkSteps };
    }

    /// <summary>After a rejection: the inverses with the raised damping now when every block has statistics, else
    /// marked stale, so that the next step's plan collects statistics and refreshes (<see cref="KfacStepPlan.For"/>).</summary>
    private void RepairInverses()
    {
        if (_blocks is not null && _blocks.All(b => b.UpdateCount > 0))
        {
            try
            {
                RefreshInverses(Gamma);
            }
            catch (LinalgException)
            {
                // That block's statistics were reset; the next step refreshes again.
            }
        }
        else _inversesStale = true;
    }

    /// <summary>
    /// The targets' lower bound as the guards use it: lowered by 1e-4 of its size, the rounding a float loss summed over
    /// a batch can carry, so a loss fitted to its soft targets within rounding never shows a negative excess (which
    /// would make every update look like a blow-up and every predicted decrease impossible). A bound of 0 (binary
    /// targets, the built-in losses' constant bound) is unchanged.
    /// </summary>
    internal static double GuardBound(double bound) => bound - 1e-4 * Math.Abs(bound);

    /// <summary>Why going from objective <paramref name="before"/> to <paramref name="after"/> on one batch is a blow-up
    /// (their excess over <paramref name="bound"/>, the infimum of the loss for the batch's targets, grew more than
    /// <see cref="KfacOptions.LossGrowthLimit"/> times), or null.</summary>
    private string? GrewTooMuch(double before, double after, double bound)
    {
        return after - bound > Options.LossGrowthLimit * (before - bound)
            ? $"the last update raised the objective on one batch from {before:G4} to {after:G4} (more than x{Options.LossGrowthLimit}): it is undone"
            : null;
    }

    /// <summary>Why this mini-batch loss says the last update blew the loss up (null when it does not): its excess over
    /// the loss's lower bound is more than <see cref="KfacOptions.BatchLossSpikeLimit"/> times the running mean of recent
    /// accepted losses' excess (never counted below 1% of the first one, so a converged run's noise is not a blow-up).
    /// Once the last update has been undone there is nothing left to undo: the guard waits for the next update.</summary>
    private string? LossGrewTooMuch(double loss, double bound)
    {
        if (!double.IsFinite(bound) || double.IsNaN(_lossScale) || Iteration == 0 || _lastUpdateUndone) return null;
        double scale = Math.Max(_lossScale, _lossFloor);
        return loss - bound > Options.BatchLossSpikeLimit * scale
            ? $"the mini-batch loss {loss:G4} is more than {Options.BatchLossSpikeLimit} times the recent level {scale + bound:G4}: the last update is undone"
            : null;
    }

    /// <summary>Running mean (weight 0.1) of the accepted steps' loss excess over the lower bound of their batch.</summary>
    private void TrackLossScale(double loss, double bound)
    {
        if (!double.IsFinite(bound)) return;
        double excess = Math.Max(0, loss - bound);
        if (double.IsNaN(_lossScale))
        {
            _lossScale = excess;
            _lossFloor = 0.01 * excess;
        }
        else _lossScale = 0.9 * _lossScale + 0.1 * excess;
    }
}

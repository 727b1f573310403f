namespace Kfac.Optim.Kfac;

/// <summary>What K-FAC does when the quadratic model's minimiser predicts a decrease larger than the objective can fall
/// (-M(delta) &gt; h(theta) - inf h): the model is then being used far outside the region where it describes h.</summary>
public enum ImplausibleStepRule
{
    /// <summary>Reject the step (no update) and raise lambda by <see cref="KfacOptions.RejectionLambdaFactor"/> (the
    /// default until stop 43).</summary>
    Reject,

    /// <summary>Take the step shortened along its own ray to the point where the model predicts a decrease of
    /// <see cref="KfacOptions.PlausibleDecreaseFraction"/> of the headroom (see <see cref="QuadraticModel.ShrinkToPlausible"/>),
    /// and raise lambda by one Levenberg-Marquardt increase (1/omega1): the update is not lost, the damping still
    /// learns that the model overreached. The default (<see cref="KfacOptions.ImplausibleStep"/>).</summary>
    Shrink,
}

namespace Kfac.Optim;

/// <summary>
/// Hyperparameters shared by every optimizer. Options are immutable records: derive a variant with
/// <c>with</c> (e.g. a parameter group without weight decay: <c>o => o with { WeightDecay = 0 }</c>).
/// <see cref="Validate"/> is the one place the values are checked; optimizers call it when they are built,
/// and a bad value throws <see cref="ArgumentOutOfRangeException"/> naming the field and the value.
/// </summary>
public record OptimizerOptions
{
    /// <summary>The base learning rate (a group's <see cref="ParameterGroup.LearningRate"/> starts here;
    /// a schedule, when attached, overrides it every step).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Checks every field; throws <see cref="ArgumentOutOfRangeException"/> whose ParamName is the field.</summary>
    public virtual void Validate() => OptionCheck.NonNegative(this, LearningRate, nameof(LearningRate));
}

/// <summary>
/// Stochastic gradient descent with PyTorch's semantics (torch.optim.SGD):
/// d = g + WeightDecay * p; buf = d on the first step, then buf = Momentum * buf + (1 - Dampening) * d;
/// d = Nesterov ? d + Momentum * buf : buf; p -= lr * d.
/// </summary>
public sealed record SgdOptions : OptimizerOptions
{
    /// <summary>Heavy-ball coefficient in [0, 1); 0 disables the momentum buffer.</summary>
    public double Momentum { get; init; }

    /// <summary>Fraction of the new gradient withheld from the momentum buffer, in [0, 1] (not applied on the first step).</summary>
    public double Dampening { get; init; }

    /// <summary>Nesterov's look-ahead form; needs Momentum &gt; 0 and Dampening == 0 (as in PyTorch).</summary>
    public bool Nesterov { get; init; }

    /// <summary>L2 penalty coefficient: added to the gradient before momentum (coupled weight decay).</summary>
    public double WeightDecay { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        OptionCheck.InHalfOpenUnit(this, Momentum, nameof(Momentum));
        OptionCheck.InClosedUnit(this, Dampening, nameof(Dampening));
        OptionCheck.NonNegative(this, WeightDecay, nameof(WeightDecay));
        if (Nesterov && (Momentum <= 0 || Dampening != 0))
            throw new ArgumentOutOfRangeException(nameof(Nesterov), Nesterov,
                $"{nameof(SgdOptions)}.{nameof(Nesterov)} = true needs Momentum > 0 and Dampening = 0 (got Momentum = {Momentum}, Dampening = {Dampening})");
    }
}

/// <summary>
/// Adam (Kingma and Ba 2015) with PyTorch's semantics (torch.optim.Adam / AdamW), bias correction included:
/// m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
/// with eps added after the square root, t the 1-based count of this parameter's updates.
/// </summary>
public sealed record AdamOptions : OptimizerOptions
{
    /// <summary>b1, decay of the first-moment average m, in [0, 1); default 0.9.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>b2, decay of the second-moment average v, in [0, 1); default 0.999.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>eps added to sqrt(v-hat) in the denominator, &gt;= 0; default 1e-8.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>L2 coefficient, or the decoupled decay rate when <see cref="DecoupledWeightDecay"/> is set.</summary>
    public double WeightDecay { get; init; }

    /// <summary>AdamW (Loshchilov and Hutter 2019): p -= lr * WeightDecay * p outside the adaptive scaling,
    /// instead of adding WeightDecay * p to the gradient (L2, which Adam's scaling then distorts).</summary>
    public bool DecoupledWeightDecay { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        OptionCheck.InHalfOpenUnit(this, Beta1, nameof(Beta1));
        OptionCheck.InHalfOpenUnit(this, Beta2, nameof(Beta2));
        OptionCheck.NonNegative(this, Epsilon, nameof(Epsilon));
        OptionCheck.NonNegative(this, WeightDecay, nameof(WeightDecay));
    }
}

/// <summary>
/// RMSProp with PyTorch's semantics (torch.optim.RMSprop): d = g + WeightDecay p; s = Alpha s + (1 - Alpha) d^2;
/// centered: a = Alpha a + (1 - Alpha) d and the denominator uses s - a^2; r = d / (sqrt(.) + Epsilon);
/// with momentum buf = Momentum buf + r and p -= lr buf, else p -= lr r.
/// </summary>
public sealed record RmsPropOptions : OptimizerOptions
{
    /// <summary>RMSProp's defaults; the learning rate defaults to 1e-2 as in PyTorch.</summary>
    public RmsPropOptions() => LearningRate = 1e-2;

    /// <summary>Smoothing constant of the squared-gradient average, in [0, 1).</summary>
    public double Alpha { get; init; } = 0.99;

    /// <summary>eps added to the root-mean-square in the denominator, &gt;= 0; default 1e-8.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Momentum coefficient applied after the RMS scaling, in [0, 1); default 0 (none).</summary>
    public double Momentum { get; init; }

    /// <summary>Normalise by an estimate of the gradient's variance (s - a^2) instead of its second moment.</summary>
    public bool Centered { get; init; }

    /// <summary>L2 coefficient added to the gradient before the RMS scaling; default 0.</summary>
    public double WeightDecay { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        OptionCheck.InHalfOpenUnit(this, Alpha, nameof(Alpha));
        OptionCheck.NonNegative(this, Epsilon, nameof(Epsilon));
        OptionCheck.InHalfOpenUnit(this, Momentum, nameof(Momentum));
        OptionCheck.NonNegative(this, WeightDecay, nameof(WeightDecay));
    }
}

/// <summary>The range checks behind every options record's Validate (NaN and infinities always fail).</summary>
public static class OptionCheck
{
    /// <summary>Throws unless <paramref name="value"/> is finite and &gt;= 0; the message names <paramref name="owner"/>'s type and <paramref name="field"/>.</summary>
    public static void NonNegative(object owner, double value, string field)
    {
        if (!(value >= 0) || double.IsInfinity(value)) Fail(owner, value, field, "must be finite and >= 0");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and &gt; 0.</summary>
    public static void Positive(object owner, double value, string field)
    {
        if (!(value > 0) || double.IsInfinity(value)) Fail(owner, value, field, "must be finite and > 0");
    }

    /// <summary>Throws unless <paramref name="value"/> is in [0, 1).</summary>
    public static void InHalfOpenUnit(object owner, double value, string field)
    {
        if (!(value >= 0 && value < 1)) Fail(owner, value, field, "must be in [0, 1)");
    }

    /// <summary>Throws unless <paramref name="value"/> is in [0, 1].</summary>
    public static void InClosedUnit(object owner, double value, string field)
    {
        if (!(value >= 0 && value <= 1)) Fail(owner, value, field, "must be in [0, 1]");
    }

    private static void Fail(object owner, double value, string field, string rule) =>
        throw new ArgumentOutOfRangeException(field, value, $"{OwnerName(owner)}.{field} {rule}, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    private static string OwnerName(object owner) => owner as string ?? owner.GetType().Name;
}

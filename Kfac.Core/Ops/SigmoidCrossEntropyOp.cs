using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// The Bernoulli negative log-likelihood of logits z against targets t, summed and scaled, as one op:
///   forward   L = scale sum_i softplus(z_i) - t_i z_i           (softplus(z) = log(1 + e^z), stable for any z)
///   JVP       dL = scale sum_i (sigmoid(z_i) - t_i) dz_i - z_i dt_i
///   backward  dL/dz = g scale (sigmoid(z) - t),  dL/dt = -g scale z   (g the scalar output gradient)
/// Composed of softplus, product, difference and sum, the same value took four passes over the logits forward and
/// five backward; the backend fuses each direction into one (<see cref="IBackend.SigmoidCrossEntropySum"/>,
/// <see cref="IBackend.SigmoidCrossEntropyGradient"/>), and the sum is accumulated in double.
/// </summary>
public static class SigmoidCrossEntropyOp
{
    /// <summary>scale * sum_i softplus(z_i) - t_i z_i as a scalar (rank-0) tensor; z and t have the same shape and
    /// dtype. Targets may require grad (soft targets from another network).</summary>
    public static Tensor SigmoidCrossEntropySum(Tensor logits, Tensor targets, double scale = 1)
    {
        OpChecks.NotNull(logits, "SigmoidCrossEntropySum", nameof(logits));
        OpChecks.NotNull(targets, "SigmoidCrossEntropySum", nameof(targets));
        if (logits.Shape != targets.Shape)
            throw new ShapeMismatchException("SigmoidCrossEntropySum", nameof(targets), logits.Shape, targets.Shape);
        if (logits.DType != targets.DType)
            throw new ArgumentException($"SigmoidCrossEntropySum: targets are {targets.DType}, logits {logits.DType}", nameof(targets));
        if (!double.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "SigmoidCrossEntropySum: scale must be finite");
        var y = Tensor.Scalar(scale * logits.Backend.SigmoidCrossEntropySum(logits, targets), logits.DType, logits.Device);
        if (ForwardMode.Propagates(logits, targets))
            using (ForwardMode.Suspend()) y.Tangent = Tangent(logits, targets, logits.Tangent, targets.Tangent, scale);
        if (OpChecks.Records(logits, targets)) y.MarkRequiresGrad(new SigmoidCrossEntropyNode(logits, targets, scale));
        return y;
    }

    /// <summary>dL = scale [(sigmoid(z) - t) . dz - z . dt] (a null tangent is zero).</summary>
    private static Tensor Tangent(Tensor z, Tensor t, Tensor? tz, Tensor? tt, double scale)
    {
        double value = 0;
        if (tz is not null)
        {
            var residual = Tensor.EmptyLike(z);
            z.Backend.SigmoidCrossEntropyGradient(z, t, scale, residual, false);
            value += z.Backend.Dot(residual, tz);
        }
        if (tt is not null) value -= scale * z.Backend.Dot(z, tt);
        return Tensor.Scalar(value, z.DType, z.Device);
    }

    private sealed class SigmoidCrossEntropyNode(Tensor z, Tensor t, double scale) : Node("SigmoidCrossEntropySum", z, t)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> tangents) =>
            SigmoidCrossEntropyOp.Tangent(z, t, tangents[0], tangents[1], scale);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            double g = dy.Item();
            if (ctx.Needs(0))
            {
                var dz = ctx.GradTarget(0, out bool acc);
                z.Backend.SigmoidCrossEntropyGradient(z, t, g * scale, dz, acc);
            }
            if (ctx.Needs(1))
            {
                var dt = ctx.GradTarget(1, out bool acc);
                z.Backend.Axpby(-g * scale, z, acc ? 1 : 0, dt);
            }
        }
    }
}

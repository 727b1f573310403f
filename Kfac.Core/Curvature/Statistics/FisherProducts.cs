using Kfac.Autodiff;
using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// Exact mini-batch Fisher quadratic forms without forming F: u^T F w = (1/m) sum_i (J u)_i^T F_R(z_i) (J w)_i,
/// with J v from one forward-mode pass (the parameters' tangents set to v) and F_R the loss's output Fisher.
/// </summary>
public static class FisherProducts
{
    /// <summary>J v on x and the network output z (computed in the same pass).</summary>
    public static (Tensor Jv, Tensor Output) JacobianVectorProduct(Func<Tensor, Tensor> forward, IReadOnlyList<Tensor> parameters, Tensor x, IReadOnlyList<Tensor> v)
    {
        ArgumentNullException.ThrowIfNull(forward);
        using var noGrad = GradMode.Disable();
        var z = ForwardMode.Jvp(() => forward(x), parameters, v);
        var jv = z.Tangent ?? throw new InvalidOperationException("the forward function's output does not depend on the parameters");
        return (jv, z);
    }

    /// <summary>(1/m) sum_i ju_i^T F_R(z_i) jw_i.</summary>
    public static double QuadraticForm(ILoss loss, Tensor output, Tensor ju, Tensor jw)
    {
        using var noGrad = GradMode.Disable();
        var f = loss.FisherProduct(output, ju);
        return output.Backend.Dot(f, jw) / output.Shape[0];
    }
}

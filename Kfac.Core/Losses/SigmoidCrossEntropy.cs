using Kfac.Autodiff;
using Kfac.Ops;
using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Losses;

/// <summary>
/// Independent Bernoulli outputs with logits z (the deep autoencoder's loss): p = sigmoid(z),
/// L = sum_j softplus(z_j) - t_j z_j, stable for any z. Output Fisher F_R = diag(p (1 - p)).
/// </summary>
public sealed class SigmoidCrossEntropy : ILoss
{
    /// <summary>"sigmoid_cross_entropy".</summary>
    public string Name => "sigmoid_cross_entropy";

    /// <summary>0: the loss is -log of a probability (or a squared distance without the Gaussian\'s constant).</summary>
    public double LowerBound => 0;

    /// <summary>
    /// min over z of softplus(z) - t z is the binary entropy H(t) = -t ln t - (1 - t) ln(1 - t) (at sigmoid(z) = t; 0 for
    /// t = 0 or 1, approached as z -> -+infinity), so the bound is the batch mean of sum_j H(t_j): exactly 0 for binary
    /// targets, about 186 for Fashion-MNIST's intensities. Targets outside [0, 1] leave the loss unbounded below
    /// (softplus(z) - t z -> -infinity): -infinity.
    /// </summary>
    public double TargetLowerBound(Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Rank < 1 || target.Shape[0] == 0) throw new ArgumentException($"{Name}: targets {target.Shape} have no rows", nameof(target));
        return target.Backend.EntropySum(target, binary: true) / target.Shape[0];
    }

    /// <summary>Mean over the batch of sum_j softplus(z_j) - t_j z_j (= -log p(t | z) for Bernoulli outputs), as one
    /// fused op (<see cref="SigmoidCrossEntropyOp"/>: one pass over the logits each way).</summary>
    public Tensor Value(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        return SigmoidCrossEntropyOp.SigmoidCrossEntropySum(output, target, 1.0 / output.Shape[0]);
    }

    /// <summary>dL_i/dz_i = sigmoid(z_i) - t_i per example.</summary>
    public Tensor OutputGradient(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        using var noGrad = GradMode.Disable();
        return output.Sigmoid() - target;
    }

    /// <summary>Bernoulli targets: y_j = 1 with probability sigmoid(z_j), else 0.</summary>
    public Tensor Sample(Tensor output, RandomStream rng)
    {
        LossChecks.Output(Name, output);
        ArgumentNullException.ThrowIfNull(rng);
        using var noGrad = GradMode.Disable();
        var p = output.Sigmoid();
        var u = Tensor.EmptyLike(output);
        output.Backend.FillUniform(u, rng.Key, rng.Take(output.Numel));
        var t = Tensor.EmptyLike(output);
        output.Backend.LessThan(u, p, t); // y = 1 with probability p
        return t;
    }

    /// <summary>F_R v = p (1 - p) v elementwise, p = sigmoid(z).</summary>
    public Tensor FisherProduct(Tensor output, Tensor v)
    {
        LossChecks.Output(Name, output);
        LossChecks.SameShape(Name, output, v, nameof(v));
        using var noGrad = GradMode.Disable();
        var p = output.Sigmoid();
        return (p - p.Square()) * v;
    }

    /// <summary>The d columns B_j of F_R^(1/2) = diag(sqrt(p (1 - p))): B_j is zero except column j, which holds sqrt(p_ij (1 - p_ij)); sum_j B_j B_j^T = F_R per example.</summary>
    public IReadOnlyList<Tensor> FisherSquareRootColumns(Tensor output)
    {
        LossChecks.Output(Name, output);
        using var noGrad = GradMode.Disable();
        int m = output.Shape[0], d = output.Shape[1];
        var p = output.Sigmoid().ToDoubleArray();
        var columns = new Tensor[d];
        for (int j = 0; j < d; j++)
        {
            var b = new double[m * d];
            for (int i = 0; i < m; i++) b[i * d + j] = Math.Sqrt(p[i * d + j] * (1 - p[i * d + j]));
            columns[j] = Tensor.FromDoubles(b, output.Shape, output.DType, output.Device);
        }
        return columns;
    }
}

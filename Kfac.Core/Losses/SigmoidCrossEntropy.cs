using Kfac.Autodiff;
using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Losses;

/// <summary>
/// Independent Bernoulli outputs with logits z (the deep autoencoder's loss): p = sigmoid(z),
/// L = sum_j softplus(z_j) - t_j z_j, stable for any z. Output Fisher F_R = diag(p (1 - p)).
/// </summary>
public sealed class SigmoidCrossEntropy : ILoss
{
    public string Name => "sigmoid_cross_entropy";

    /// <summary>0: the loss is -log of a probability (or a squared distance without the Gaussian\'s constant).</summary>
    public double LowerBound => 0;

    public Tensor Value(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        return (output.Softplus() - target * output).Sum() / output.Shape[0];
    }

    public Tensor OutputGradient(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        using var noGrad = GradMode.Disable();
        return output.Sigmoid() - target;
    }

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

    public Tensor FisherProduct(Tensor output, Tensor v)
    {
        LossChecks.Output(Name, output);
        LossChecks.SameShape(Name, output, v, nameof(v));
        using var noGrad = GradMode.Disable();
        var p = output.Sigmoid();
        return (p - p.Square()) * v;
    }

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

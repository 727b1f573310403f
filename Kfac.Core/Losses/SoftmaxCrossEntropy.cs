using Kfac.Autodiff;
using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Losses;

/// <summary>
/// Categorical distribution with logits z: p = softmax(z), L = -sum_c t_c log p_c (t one-hot, or any
/// probability vector). Output Fisher F_R = diag(p) - p p^T. Square root: columns sqrt(p_j) (e_j - p).
/// </summary>
public sealed class SoftmaxCrossEntropy : ILoss
{
    public string Name => "softmax_cross_entropy";

    /// <summary>0: the loss is -log of a probability (or a squared distance without the Gaussian\'s constant).</summary>
    public double LowerBound => 0;

    public Tensor Value(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        return -(target * output.LogSoftmax()).Sum() / output.Shape[0];
    }

    public Tensor OutputGradient(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        using var noGrad = GradMode.Disable();
        return Probabilities(output) - target;
    }

    public static Tensor Probabilities(Tensor output)
    {
        using var noGrad = GradMode.Disable();
        return output.LogSoftmax().Exp();
    }

    public Tensor Sample(Tensor output, RandomStream rng)
    {
        LossChecks.Output(Name, output);
        ArgumentNullException.ThrowIfNull(rng);
        int m = output.Shape[0], k = output.Shape[1];
        var p = Probabilities(output);
        var u = Tensor.Empty(new Shape(m), output.DType, output.Device);
        output.Backend.FillUniform(u, rng.Key, rng.Take(m));
        var t = Tensor.EmptyLike(output);
        output.Backend.SampleCategorical(p, u, m, k, t); // inverse CDF per row
        return t;
    }

    public Tensor FisherProduct(Tensor output, Tensor v)
    {
        LossChecks.Output(Name, output);
        LossChecks.SameShape(Name, output, v, nameof(v));
        using var noGrad = GradMode.Disable();
        var p = Probabilities(output);
        var pv = p * v;
        return pv - p * pv.Sum(1, keepDim: true); // diag(p) v - p (p . v)
    }

    public IReadOnlyList<Tensor> FisherSquareRootColumns(Tensor output)
    {
        LossChecks.Output(Name, output);
        using var noGrad = GradMode.Disable();
        int m = output.Shape[0], k = output.Shape[1];
        var p = Probabilities(output).ToDoubleArray();
        var columns = new Tensor[k];
        var b = new double[m * k];
        for (int j = 0; j < k; j++)
        {
            for (int i = 0; i < m; i++)
            {
                double s = Math.Sqrt(p[i * k + j]);
                for (int c = 0; c < k; c++) b[i * k + c] = s * ((c == j ? 1 : 0) - p[i * k + c]);
            }
            columns[j] = Tensor.FromDoubles(b, output.Shape, output.DType, output.Device);
        }
        return columns;
    }
}

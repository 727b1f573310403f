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
    /// <summary>"softmax_cross_entropy".</summary>
    public string Name => "softmax_cross_entropy";

    /// <summary>0: the loss is -log of a probability (or a squared distance without the Gaussian\'s constant).</summary>
    public double LowerBound => 0;

    /// <summary>
    /// min over z of -sum_c t_c log softmax(z)_c for a row of non-negative targets with sum s: s H(t / s) =
    /// -sum_c t_c ln t_c + s ln s (Gibbs' inequality; attained at softmax(z) = t / s, approached where t has zeros), so
    /// the bound is the batch mean of that: the targets' entropy when each row is a distribution (soft labels,
    /// distillation), 0 for hard (0/1) targets. 0/1 targets return <see cref="LowerBound"/> at once: their entropy term is
    /// exactly 0 and s ln s &gt;= 0, so 0 is a valid bound (the exact one for one-hot rows) and costs one pass over the
    /// targets without allocating; only soft targets take the row sums. Entries above 1 (weighted rows) take the same
    /// formula on the host; a negative or NaN entry gives -infinity (a negative t_c leaves the loss unbounded below).
    /// </summary>
    public double TargetLowerBound(Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Rank != 2 || target.Shape[0] == 0) throw new ArgumentException($"{Name}: targets {target.Shape} must be [rows > 0, classes]", nameof(target));
        double entropy = target.Backend.EntropySum(target, binary: false);
        if (entropy == 0) return LowerBound;
        int m = target.Shape[0], k = target.Shape[1];
        double sum = 0;
        if (double.IsNegativeInfinity(entropy))
        {
            // Some entry is outside [0, 1]: the rare path, on the host.
            var t = target.ToDoubleArray();
            for (int i = 0; i < m; i++)
            {
                double s = 0;
                for (int c = 0; c < k; c++)
                {
                    double v = t[i * k + c];
                    if (!(v >= 0)) return double.NegativeInfinity;
                    if (v > 0) sum -= v * Math.Log(v);
                    s += v;
                }
                if (s > 0) sum += s * Math.Log(s);
            }
        }
        else
        {
            using var noGrad = GradMode.Disable();
            sum = entropy;
            foreach (double s in target.Sum(1).ToDoubleArray()) if (s > 0) sum += s * Math.Log(s);
        }
        return Math.Max(LowerBound, sum / m);
    }

    /// <summary>Mean over the batch of -sum_c t_c log softmax(z)_c.</summary>
    public Tensor Value(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        return -(target * output.LogSoftmax()).Sum() / output.Shape[0];
    }

    /// <summary>dL_i/dz_i = softmax(z_i) - t_i per example.</summary>
    public Tensor OutputGradient(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        using var noGrad = GradMode.Disable();
        return Probabilities(output) - target;
    }

    /// <summary>softmax(z) per row, computed as exp(log_softmax(z)) without recording a graph.</summary>
    public static Tensor Probabilities(Tensor output)
    {
        using var noGrad = GradMode.Disable();
        return output.LogSoftmax().Exp();
    }

    /// <summary>One-hot targets drawn per row from Categorical(softmax(z)) by the inverse CDF of one uniform per row.</summary>
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

    /// <summary>F_R v = diag(p) v - p (p . v) per row, p = softmax(z).</summary>
    public Tensor FisherProduct(Tensor output, Tensor v)
    {
        LossChecks.Output(Name, output);
        LossChecks.SameShape(Name, output, v, nameof(v));
        using var noGrad = GradMode.Disable();
        var p = Probabilities(output);
        var pv = p * v;
        return pv - p * pv.Sum(1, keepDim: true); // diag(p) v - p (p . v)
    }

    /// <summary>The k columns sqrt(p_j) (e_j - p) of the square root of F_R = diag(p) - p p^T, one tensor per class j.</summary>
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

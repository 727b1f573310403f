using Kfac.Autodiff;
using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Losses;

/// <summary>
/// Gaussian outputs p(y | z) = N(z, sigma^2 I) with the variance stated explicitly:
/// L = ||t - z||^2 / (2 sigma^2) (dropping the constant (d/2) log(2 pi sigma^2)); F_R = I / sigma^2.
/// The common "sum of squares" without the 1/2 is sigma^2 = 1/2 and doubles the Fisher: pick the
/// variance that matches the loss you mean. Default sigma^2 = 1, i.e. L = ||t - z||^2 / 2.
/// </summary>
public sealed class SquaredError : ILoss
{
    /// <summary>Unit variance: L = ||t - z||^2 / 2.</summary>
    public SquaredError() : this(1) { }

    public SquaredError(double variance)
    {
        if (!(variance > 0) || double.IsInfinity(variance))
            throw new ArgumentOutOfRangeException(nameof(variance), variance, "the Gaussian variance must be positive and finite");
        Variance = variance;
    }

    public double Variance { get; }

    public string Name => "squared_error";

    /// <summary>0: the loss is -log of a probability (or a squared distance without the Gaussian\'s constant).</summary>
    public double LowerBound => 0;

    public Tensor Value(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        return (output - target).Square().Sum() / (2 * Variance * output.Shape[0]);
    }

    public Tensor OutputGradient(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        using var noGrad = GradMode.Disable();
        return (output - target) / Variance;
    }

    public Tensor Sample(Tensor output, RandomStream rng)
    {
        LossChecks.Output(Name, output);
        ArgumentNullException.ThrowIfNull(rng);
        using var noGrad = GradMode.Disable();
        var noise = Tensor.EmptyLike(output);
        output.Backend.FillNormal(noise, rng.Key, rng.Take(output.Numel));
        return output + noise * Math.Sqrt(Variance); // y ~ N(z, sigma^2 I)
    }

    public Tensor FisherProduct(Tensor output, Tensor v)
    {
        LossChecks.Output(Name, output);
        LossChecks.SameShape(Name, output, v, nameof(v));
        using var noGrad = GradMode.Disable();
        return v / Variance;
    }

    public IReadOnlyList<Tensor> FisherSquareRootColumns(Tensor output)
    {
        LossChecks.Output(Name, output);
        int m = output.Shape[0], d = output.Shape[1];
        double s = 1 / Math.Sqrt(Variance);
        var columns = new Tensor[d];
        for (int j = 0; j < d; j++)
        {
            var b = new double[m * d];
            for (int i = 0; i < m; i++) b[i * d + j] = s;
            columns[j] = Tensor.FromDoubles(b, output.Shape, output.DType, output.Device);
        }
        return columns;
    }
}

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

    /// <summary>Gaussian outputs with variance sigma^2 = <paramref name="variance"/> (positive and finite, else <see cref="ArgumentOutOfRangeException"/>).</summary>
    public SquaredError(double variance)
    {
        if (!(variance > 0) || double.IsInfinity(variance))
            throw new ArgumentOutOfRangeException(nameof(variance), variance, "the Gaussian variance must be positive and finite");
        Variance = variance;
    }

    /// <summary>sigma^2, the variance of the Gaussian predictive distribution; F_R = I / sigma^2.</summary>
    public double Variance { get; }

    /// <summary>"squared_error".</summary>
    public string Name => "squared_error";

    /// <summary>0: the loss is -log of a probability (or a squared distance without the Gaussian\'s constant).</summary>
    public double LowerBound => 0;

    /// <summary>Mean over the batch of ||t - z||^2 / (2 sigma^2).</summary>
    public Tensor Value(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        return (output - target).Square().Sum() / (2 * Variance * output.Shape[0]);
    }

    /// <summary>dL_i/dz_i = (z_i - t_i) / sigma^2 per example.</summary>
    public Tensor OutputGradient(Tensor output, Tensor target)
    {
        LossChecks.OutputAndTarget(Name, output, target);
        using var noGrad = GradMode.Disable();
        return (output - target) / Variance;
    }

    /// <summary>Targets y = z + sigma eps with eps ~ N(0, I) from the counter-based stream.</summary>
    public Tensor Sample(Tensor output, RandomStream rng)
    {
        LossChecks.Output(Name, output);
        ArgumentNullException.ThrowIfNull(rng);
        using var noGrad = GradMode.Disable();
        var noise = Tensor.EmptyLike(output);
        output.Backend.FillNormal(noise, rng.Key, rng.Take(output.Numel));
        return output + noise * Math.Sqrt(Variance); // y ~ N(z, sigma^2 I)
    }

    /// <summary>F_R v = v / sigma^2.</summary>
    public Tensor FisherProduct(Tensor output, Tensor v)
    {
        LossChecks.Output(Name, output);
        LossChecks.SameShape(Name, output, v, nameof(v));
        using var noGrad = GradMode.Disable();
        return v / Variance;
    }

    /// <summary>The d columns of F_R^(1/2) = I / sigma: column j is e_j / sigma in every row.</summary>
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

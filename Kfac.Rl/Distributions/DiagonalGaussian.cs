using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Rl.Distributions;

/// <summary>
/// A batch of diagonal Gaussians N(mu_i, diag(sigma^2)) with means mu [B, D] from the network and a
/// state-independent learned log standard deviation log sigma [D] (SB3's DiagGaussianDistribution, the ACKTR
/// paper's continuous policy):
/// log pi(a) = sum_d [ -(a_d - mu_d)^2 / (2 sigma_d^2) - log sigma_d - log(2 pi) / 2 ],
/// H = sum_d [ log sigma_d + (1 + log 2 pi) / 2 ] (the same for every row).
/// </summary>
public sealed class DiagonalGaussian
{
    private static readonly double HalfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);

    public DiagonalGaussian(Tensor mean, Tensor logStd)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(logStd);
        if (mean.Rank != 2) throw new ShapeMismatchException($"DiagonalGaussian: mean has shape {mean.Shape}, expected [batch, dims]", nameof(mean));
        if (logStd.Rank != 1 || logStd.Shape[0] != mean.Shape[1])
            throw new ShapeMismatchException($"DiagonalGaussian: log std has shape {logStd.Shape}, expected [{mean.Shape[1]}] to match mean {mean.Shape}", nameof(logStd));
        Mean = mean;
        LogStd = logStd;
    }

    public Tensor Mean { get; }

    public Tensor LogStd { get; }

    public int Batch => Mean.Shape[0];

    public int Dimension => Mean.Shape[1];

    /// <summary>log pi(a_i | s_i), [B]; <paramref name="actions"/> row-major [B, D].</summary>
    public Tensor LogProb(ReadOnlySpan<double> actions)
    {
        if (actions.Length != Batch * Dimension)
            throw new ArgumentException($"DiagonalGaussian.LogProb: {actions.Length} action entries for batch {Batch} x dims {Dimension}", nameof(actions));
        var a = Tensor.FromDoubles(actions, Mean.Shape, Mean.DType, Mean.Device);
        var z = (a - Mean) * (-LogStd).Exp();
        return (z.Square() * -0.5 - LogStd).Sum(1) - Dimension * HalfLogTwoPi;
    }

    /// <summary>Entropy of each row's distribution (a scalar: it does not depend on the row).</summary>
    public Tensor Entropy() => LogStd.Sum() + Dimension * (0.5 + HalfLogTwoPi);

    /// <summary>Draws a = mu + sigma eps, eps ~ N(0, I), on the host.</summary>
    public void Sample(System.Random rng, Span<double> actions)
    {
        ArgumentNullException.ThrowIfNull(rng);
        CheckLength(actions.Length);
        var mu = Mean.ToDoubleArray();
        var logStd = LogStd.ToDoubleArray();
        for (int i = 0; i < actions.Length; i++) actions[i] = mu[i] + Math.Exp(logStd[i % Dimension]) * Gaussian.Sample(rng);
    }

    /// <summary>The mean (greedy evaluation).</summary>
    public void Mode(Span<double> actions)
    {
        CheckLength(actions.Length);
        Mean.ToDoubleArray().CopyTo(actions);
    }

    private void CheckLength(int length)
    {
        if (length != Batch * Dimension) throw new ArgumentException($"DiagonalGaussian: action buffer has {length} entries, expected {Batch} x {Dimension}", "actions");
    }
}

using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Tensors;

namespace Kfac.Tests.Bayes;

internal static class BayesTestKit
{
    /// <summary>A float64 MLP (exact gradients for finite differences).</summary>
    public static Sequential Net(int[] sizes, int seed, Activation hidden = Activation.Tanh) =>
        Mlp.Create(sizes, hidden, seed, dtype: DType.Float64);

    public static Tensor Matrix(int rows, int cols, int seed, double std = 1) =>
        Tensor.RandN(new Shape(rows, cols), new System.Random(seed), std: std, dtype: DType.Float64);

    /// <summary>A random SPD matrix B B^T / n + 0.1 I, row-major.</summary>
    public static double[] Spd(int n, int seed)
    {
        var rng = new System.Random(seed);
        var b = new double[n * n];
        for (int i = 0; i < b.Length; i++) b[i] = Kfac.Sampling.Gaussian.Sample(rng);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
                a[i * n + j] = s / n + (i == j ? 0.1 : 0);
            }
        return a;
    }

    /// <summary>log N(x; mean, cov) for dense cov (Cholesky in double): the oracle density.</summary>
    public static double LogDensity(ReadOnlySpan<double> x, ReadOnlySpan<double> mean, double[] cholesky, int d)
    {
        // solve L z = x - mean
        var z = new double[d];
        double logDet = 0, q = 0;
        for (int i = 0; i < d; i++)
        {
            double s = x[i] - mean[i];
            for (int k = 0; k < i; k++) s -= cholesky[i * d + k] * z[k];
            z[i] = s / cholesky[i * d + i];
            q += z[i] * z[i];
            logDet += 2 * Math.Log(cholesky[i * d + i]);
        }
        return -0.5 * (d * Math.Log(2 * Math.PI) + logDet + q);
    }

    public static (double Mean, double Se) MeanSe(IReadOnlyList<double> x)
    {
        double m = x.Average();
        double v = x.Sum(a => (a - m) * (a - m)) / (x.Count - 1);
        return (m, Math.Sqrt(v / x.Count));
    }
}

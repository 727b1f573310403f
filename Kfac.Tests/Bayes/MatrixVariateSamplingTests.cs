using Kfac.Bayes;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Bayes.BayesTestKit;

namespace Kfac.Tests.Bayes;

/// <summary>Samples of the matrix-variate posterior have mean M and covariance (lambda/N) U (x) V (statistical test),
/// and the weight sampler restores the mean bit for bit.</summary>
public class MatrixVariateSamplingTests
{
    [Test]
    public void EigenbasisCovarianceIsTheDampedKroneckerInverse()
    {
        // The oracle: c (A (x) S + gamma I)^-1 formed densely (column-stacking vec: A (x) S) and inverted by Cholesky.
        var net = Net([4, 3], seed: 33); // [W | b] is 3 x 5: d = 15
        var tag = ((Kfac.Layers.Dense)net[0]).Tag;
        var layer = new MatrixVariateLayer(tag);
        double[] a = Spd(5, 9), sFactor = Spd(3, 10);
        const double gamma = 0.03, scale = 0.2;
        layer.SetFactorsEigenbasis(a, sFactor, gamma, scale);
        const int d = 15;
        var precision = new double[d * d];
        Kfac.Linalg.Kronecker.Product<double>(a, 5, 5, sFactor, 3, 3, precision);
        for (int i = 0; i < d; i++) precision[i * d + i] += gamma;
        var inverse = new double[d * d];
        Kfac.Linalg.GuardedSpdInverse.Invert(precision, d, inverse);
        var cov = layer.DenseCovariance();
        for (int i = 0; i < d * d; i++) Assert.That(cov[i], Is.EqualTo(scale * inverse[i]).Within(1e-10 * scale), $"entry {i}");
        double trace = 0, logDet = 0;
        for (int i = 0; i < d; i++) trace += inverse[i * d + i];
        var l = (double[])precision.Clone();
        Kfac.Linalg.Cholesky.Factor<double>(l, d);
        for (int i = 0; i < d; i++) logDet -= 2 * Math.Log(l[i * d + i]);
        Assert.That(layer.CovarianceTrace, Is.EqualTo(trace).Within(1e-10 * trace));
        Assert.That(layer.CovarianceLogDet, Is.EqualTo(logDet).Within(1e-10 * Math.Abs(logDet)));
        Assert.That(layer.TraceU, Is.NaN, "the factored form's U and V do not exist in the eigenbasis form");
    }

    [Test]
    public void FactoredCovarianceIsTheKroneckerProductOfDampedInverses()
    {
        // The oracle: c (A + dA I)^-1 (x) (S + dS I)^-1 with each inverse formed densely (guarded SPD inverse), and
        // tr U, log det U from that inverse and a separate Cholesky factor.
        var tag = ((Kfac.Layers.Dense)Net([4, 3], seed: 34)[0]).Tag; // [W | b] is 3 x 5
        var layer = new MatrixVariateLayer(tag);
        double[] a = Spd(5, 13), sFactor = Spd(3, 14);
        const double dA = 0.07, dS = 0.4, scale = 0.15;
        layer.SetFactors(a, dA, sFactor, dS, scale);
        var u = DampedInverse(a, 5, dA);
        var v = DampedInverse(sFactor, 3, dS);
        var expected = new double[15 * 15];
        Kfac.Linalg.Kronecker.Product<double>(u, 5, 5, v, 3, 3, expected);
        var cov = layer.DenseCovariance();
        for (int i = 0; i < expected.Length; i++) Assert.That(cov[i], Is.EqualTo(scale * expected[i]).Within(1e-11), $"entry {i}");
        Assert.That(layer.TraceU, Is.EqualTo(Enumerable.Range(0, 5).Sum(i => u[i * 5 + i])).Within(1e-11));
        Assert.That(layer.TraceV, Is.EqualTo(Enumerable.Range(0, 3).Sum(i => v[i * 3 + i])).Within(1e-11));
        Assert.That(layer.LogDetU, Is.EqualTo(-LogDet(a, 5, dA)).Within(1e-11));
        Assert.That(layer.LogDetV, Is.EqualTo(-LogDet(sFactor, 3, dS)).Within(1e-11));
    }

    [Test]
    public void FactoredRejectsAnIndefiniteFactorAndKeepsTheCovariance()
    {
        var layer = new MatrixVariateLayer(((Kfac.Layers.Dense)Net([2, 2], seed: 3)[0]).Tag);
        layer.SetFactors(Spd(3, 1), 0.1, Spd(2, 2), 0.1, scale: 0.5);
        var before = layer.DenseCovariance();
        var indefinite = Spd(2, 5);
        indefinite[0] = -10;
        Assert.Throws<Kfac.Linalg.NotPositiveDefiniteException>(() => layer.SetFactors(Spd(3, 6), 0.1, indefinite, 0.1, scale: 0.5));
        Assert.That(layer.DenseCovariance(), Is.EqualTo(before), "a failed refresh must leave the covariance as it was");
    }

    private static double[] DampedInverse(double[] a, int n, double damping)
    {
        var m = (double[])a.Clone();
        for (int i = 0; i < n; i++) m[i * n + i] += damping;
        var inverse = new double[n * n];
        Kfac.Linalg.GuardedSpdInverse.Invert(m, n, inverse);
        return inverse;
    }

    private static double LogDet(double[] a, int n, double damping)
    {
        var l = (double[])a.Clone();
        for (int i = 0; i < n; i++) l[i * n + i] += damping;
        Kfac.Linalg.Cholesky.Factor<double>(l, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += 2 * Math.Log(l[i * n + i]);
        return s;
    }

    /// <summary>A batched draw: the sample at each position of the batch has mean M and covariance c U (x) V (both
    /// posterior forms), and two positions of one batch are uncorrelated (5 standard errors, sqrt(S_pp S_qq / n)).</summary>
    [TestCase(false, 1)]
    [TestCase(false, 2)]
    [TestCase(true, 2)]
    public void BatchedSamplesHaveTheCovarianceAndAreIndependent(bool eigenbasis, int position)
    {
        var tag = ((Kfac.Layers.Dense)Net([2, 2], seed: 35)[0]).Tag;
        var layer = new MatrixVariateLayer(tag);
        if (eigenbasis) layer.SetFactorsEigenbasis(Spd(3, 15), Spd(2, 16), damping: 0.2, scale: 0.4);
        else layer.SetFactors(Spd(3, 15), 0.1, Spd(2, 16), 0.3, scale: 0.4);
        AssertSampleMoments(layer, seed: 19 + position, batch: 3, position: position);

        var cov = layer.DenseCovariance();
        var m = new double[6];
        layer.ReadMean(m);
        const int n = 20000;
        var rng = new System.Random(23);
        var w = new double[12];
        var b = new double[6];
        var cross = new double[16]; // Cov(W_0 of sample 0, W_0 of sample `position`) over the 4 weight entries
        for (int s = 0; s < n; s++)
        {
            layer.Sample(rng, 3, w, b);
            for (int p = 0; p < 4; p++)
                for (int q = 0; q < 4; q++)
                    cross[p * 4 + q] += (w[p] - m[p / 2 * 3 + p % 2]) * (w[position * 4 + q] - m[q / 2 * 3 + q % 2]);
        }
        for (int p = 0; p < 4; p++)
            for (int q = 0; q < 4; q++)
            {
                // vec index of W[i, j] is j q + i (q = 2 rows)
                int vp = p % 2 * 2 + p / 2, vq = q % 2 * 2 + q / 2;
                double se = Math.Sqrt(cov[vp * 6 + vp] * cov[vq * 6 + vq] / n);
                Assert.That(cross[p * 4 + q] / n, Is.EqualTo(0).Within(5 * se), $"cross-covariance [{p},{q}]");
            }
    }

    /// <summary>The factored sampler's triangular solves against the formula written out densely, draw for draw:
    /// the same seed gives the same noise G [q, count, p], and sample k must be M + sqrt(c) L_S^-T G_k L_A^-1 with the
    /// Cholesky factors inverted by plain substitution here; sizes beyond the Cholesky and triangular inverse's
    /// 32-row blocks, with either factor the larger.</summary>
    [TestCase(40, 35)] // [W | b] 35 x 41
    [TestCase(70, 20)] // 20 x 71
    [TestCase(9, 80)]  // 80 x 10
    public void FactoredSamplesAreTheCholeskyRootsAppliedToTheNoise(int inputs, int outputs)
    {
        var tag = ((Kfac.Layers.Dense)Net([inputs, outputs], seed: 37)[0]).Tag;
        var layer = new MatrixVariateLayer(tag);
        int p = inputs + 1, q = outputs;
        const int count = 3;
        double[] a = Spd(p, 17), sFactor = Spd(q, 18);
        const double dA = 0.05, dS = 0.2, scale = 0.01;
        layer.SetFactors(a, dA, sFactor, dS, scale);
        var w = new double[count * q * inputs];
        var b = new double[count * q];
        layer.Sample(new System.Random(5), count, w, b);

        var g = new double[q * count * p];
        Kfac.Sampling.Gaussian.Fill(new System.Random(5), g);
        var mean = new double[q * p];
        layer.ReadMean(mean);
        var lAInv = LowerInverse(CholeskyOf(a, p, dA), p);
        var lSInv = LowerInverse(CholeskyOf(sFactor, q, dS), q);
        for (int k = 0; k < count; k++)
            for (int i = 0; i < q; i++)
                for (int j = 0; j < p; j++)
                {
                    // (L_S^-T G_k L_A^-1)[i, j] = sum_r sum_t L_S^-1[r, i] G_k[r, t] L_A^-1[t, j]
                    double sum = 0;
                    for (int r = 0; r < q; r++)
                    {
                        double left = lSInv[r * q + i];
                        if (left == 0) continue;
                        for (int t = 0; t < p; t++) sum += left * g[(r * count + k) * p + t] * lAInv[t * p + j];
                    }
                    double expected = mean[i * p + j] + Math.Sqrt(scale) * sum;
                    double actual = j < inputs ? w[(k * q + i) * inputs + j] : b[k * q + i];
                    Assert.That(actual, Is.EqualTo(expected).Within(1e-10), $"sample {k}, entry [{i}, {j}]");
                }
    }

    private static double[] CholeskyOf(double[] a, int n, double damping)
    {
        var l = (double[])a.Clone();
        for (int i = 0; i < n; i++) l[i * n + i] += damping;
        Kfac.Linalg.Cholesky.Factor<double>(l, n);
        return l;
    }

    /// <summary>L^-1 by forward substitution, column by column (independent of the library's blocked inverse).</summary>
    private static double[] LowerInverse(double[] l, int n)
    {
        var x = new double[n * n];
        for (int c = 0; c < n; c++)
            for (int i = c; i < n; i++)
            {
                double sum = i == c ? 1 : 0;
                for (int t = c; t < i; t++) sum -= l[i * n + t] * x[t * n + c];
                x[i * n + c] = sum / l[i * n + i];
            }
        return x;
    }

    [Test]
    public void BatchedSampleRejectsShortBuffers()
    {
        var layer = new MatrixVariateLayer(((Kfac.Layers.Dense)Net([2, 2], seed: 36)[0]).Tag);
        layer.SetIsotropic(1);
        var e = Assert.Throws<ArgumentException>(() => layer.Sample(new System.Random(1), 3, new double[11], new double[6]));
        Assert.That(e!.ParamName, Is.EqualTo("weights"));
        Assert.That(e.Message, Does.Contain("need 12"));
        e = Assert.Throws<ArgumentException>(() => layer.Sample(new System.Random(1), 3, new double[12], new double[5]));
        Assert.That(e!.ParamName, Is.EqualTo("biases"));
    }

    [Test]
    public void EigenbasisSampleCovarianceMatches()
    {
        var net = Net([2, 2], seed: 32);
        var tag = ((Kfac.Layers.Dense)net[0]).Tag;
        var layer = new MatrixVariateLayer(tag);
        layer.SetFactorsEigenbasis(Spd(3, 11), Spd(2, 12), damping: 0.1, scale: 0.3);
        AssertSampleMoments(layer, seed: 18);
    }

    [Test]
    public void EigenbasisRejectsNonPositiveDamping()
    {
        var layer = new MatrixVariateLayer(((Kfac.Layers.Dense)Net([2, 2], seed: 1)[0]).Tag);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => layer.SetFactorsEigenbasis(Spd(3, 1), Spd(2, 2), damping: 0, scale: 1));
        Assert.That(e!.ParamName, Is.EqualTo("damping"));
    }

    [Test]
    public void SampleCovarianceIsScaledKroneckerProduct()
    {
        var net = Net([2, 2], seed: 31); // [W | b] is 2 x 3: d = 6
        var tag = ((Kfac.Layers.Dense)net[0]).Tag;
        var layer = new MatrixVariateLayer(tag);
        layer.SetFactors(Spd(3, 4), 0.1, Spd(2, 5), 0.2, scale: 0.3);
        AssertSampleMoments(layer, seed: 17);
    }

    /// <summary>Mean M and covariance <see cref="MatrixVariateLayer.DenseCovariance"/> of 40000 samples of a 2 x 3
    /// [W | b], within 5 standard errors entry by entry.</summary>
    private static void AssertSampleMoments(MatrixVariateLayer layer, int seed, int batch = 1, int position = 0)
    {
        var m = new double[6];
        layer.ReadMean(m);
        var cov = layer.DenseCovariance();
        const int n = 40000, d = 6;
        var rng = new System.Random(seed);
        var w = new double[4 * batch];
        var b = new double[2 * batch];
        var sum = new double[d];
        var x = new double[n * d];
        for (int s = 0; s < n; s++)
        {
            if (batch == 1) layer.Sample(rng, w, b);
            else layer.Sample(rng, batch, w, b);
            // vec (column-stacking) of [W | b] (rows i = 0..1, columns j = 0..2) of the sample at `position`
            var v = x.AsSpan(s * d, d);
            for (int i = 0; i < 2; i++)
            {
                v[0 * 2 + i] = w[position * 4 + i * 2 + 0];
                v[1 * 2 + i] = w[position * 4 + i * 2 + 1];
                v[2 * 2 + i] = b[position * 2 + i];
            }
            for (int k = 0; k < d; k++) sum[k] += v[k];
        }
        var mean = sum.Select(t => t / n).ToArray();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
            {
                int k = j * 2 + i;
                double se = Math.Sqrt(cov[k * d + k] / n);
                Assert.That(mean[k], Is.EqualTo(m[i * 3 + j]).Within(5 * se), $"mean of M[{i},{j}]");
            }
        for (int p = 0; p < d; p++)
            for (int q = 0; q < d; q++)
            {
                double c = 0;
                for (int s = 0; s < n; s++) c += (x[s * d + p] - mean[p]) * (x[s * d + q] - mean[q]);
                c /= n - 1;
                // standard error of a Gaussian sample covariance: sqrt((S_pp S_qq + S_pq^2) / n)
                double se = Math.Sqrt((cov[p * d + p] * cov[q * d + q] + cov[p * d + q] * cov[p * d + q]) / n);
                Assert.That(c, Is.EqualTo(cov[p * d + q]).Within(5 * se), $"Cov[{p},{q}]");
            }
    }

    [Test]
    public void WeightSamplerRestoresTheMeanBitForBit()
    {
        var net = Kfac.Layers.Models.Mlp.Create([3, 4, 2], Kfac.Layers.Activation.Relu, seed: 2); // float32
        var ps = net.Parameters();
        var before = ps.Select(p => p.ToArray<float>()).ToArray();
        var sampler = new WeightSampler(ps);
        var sample = ps.Select(p => Enumerable.Range(0, p.Numel).Select(i => 0.1 * i - 0.3).ToArray()).ToArray();
        using (var scope = TensorScope.Begin())
        using (sampler.Apply(sample))
        {
            Assert.That(ps[0].ToArray<float>()[1], Is.EqualTo(-0.2f), "the sample is in the parameters during the pass");
            var y = net.Forward(Tensor.Ones(new Shape(5, 3)));
            y.Square().Sum().Backward();
            Assert.Throws<InvalidOperationException>(() => sampler.Apply(sample), "nested samples are refused");
        }
        for (int i = 0; i < ps.Count; i++)
            Assert.That(ps[i].ToArray<float>().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(before[i].Select(BitConverter.SingleToInt32Bits)));
    }

    [Test]
    public void SamplerRejectsMisshapenSamples()
    {
        var net = Net([2, 2], seed: 1);
        var sampler = new WeightSampler(net.Parameters());
        var e = Assert.Throws<ArgumentException>(() => sampler.Apply([new double[4], new double[3]]));
        Assert.That(e!.Message, Does.Contain("sample[1]"));
    }
}

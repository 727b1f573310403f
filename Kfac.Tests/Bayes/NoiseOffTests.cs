using Kfac.Bayes;
using Kfac.Layers;
using Kfac.Linalg;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Bayes.BayesTestKit;

namespace Kfac.Tests.Bayes;

/// <summary>
/// With the weight noise switched off (samples = the mean), noisy K-FAC's mean update is the K-FAC update of the
/// L2-regularised loss with the same factored damping, and noisy Adam's is its deterministic form. Both are checked
/// against independent double-precision references built here from the gradient at the mean (a separate backward
/// pass) and, for K-FAC, the block's recorded factors with dense SPD inverses.
/// </summary>
public class NoiseOffTests
{
    private static (Sequential Net, Tensor X, Tensor Y) Problem(int seed)
    {
        var net = Net([3, 4, 2], seed);
        return (net, Matrix(8, 3, seed + 1), Matrix(8, 2, seed + 2));
    }

    /// <summary>Gradient of the mini-batch mean loss at the current weights, per parameter.</summary>
    private static double[][] Gradient(Sequential net, Tensor x, Tensor y, ILoss loss)
    {
        foreach (var p in net.Parameters()) p.Grad = null;
        loss.Value(net.Forward(x), y).Backward();
        return net.Parameters().Select(p => p.Grad!.ToDoubleArray()).ToArray();
    }

    /// <summary>Infinity: no KL clip, the plain K-FAC step. 1e-4: the clip is active; the applied step must be nu times
    /// the K-FAC step with nu = sqrt(kappa / (Delta^T F~ Delta)), F~ = (A + pi sqrt(gamma) I) (x) (S + sqrt(gamma)/pi I)
    /// formed densely here, so the step's predicted Delta^T F~ Delta is exactly kappa.</summary>
    [TestCase(double.PositiveInfinity)]
    [TestCase(1e-4)]
    public void NoisyKfacWithoutNoiseTakesTheDampedKfacStep(double klClip)
    {
        var (net, x, y) = Problem(7);
        var loss = new SquaredError(0.5);
        var layers = NoisyKfac.DiscoverLayers(net.Forward, x);
        var options = new VariationalOptions { TrainingSetSize = 40, KlWeight = 1, PriorVariance = 0.5, LearningRate = 0.3, Seed = 1 };
        var opt = new NoisyKfac(layers, options, statisticsDecay: 0.95, momentum: 0.9, extrinsicDamping: 0.02, inverseInterval: 1, klClip: klClip) { NoiseEnabled = false };
        double gIn = options.IntrinsicDamping, gamma = gIn + 0.02;
        _momentum.Clear(); // NUnit runs every case on one fixture instance

        for (int step = 0; step < 2; step++) // the second step also checks the debiased momentum m/b
        {
            var before = net.Parameters().Select(p => p.ToDoubleArray()).ToArray();
            var grad = Gradient(net, x, y, loss);
            var r = opt.Step(net.Forward, x, y, loss);
            Assert.That(r.Applied, Is.True);
            int k = 0;
            var steps = new List<(double[] Delta, double[] A, double[] S, int P, int Q, int InF, int K)>();
            for (int l = 0; l < layers.Count; l++)
            {
                var block = opt.Blocks[l];
                int p = layers[l].InputDim, q = layers[l].OutFeatures, inF = layers[l].InFeatures;
                var a = block.InputFactor!.ToDoubleArray();
                var s = block.OutputFactor!.ToDoubleArray();
                double ta = 0, ts = 0;
                for (int i = 0; i < p; i++) ta += a[i * p + i];
                for (int i = 0; i < q; i++) ts += s[i * q + i];
                double pi = Math.Sqrt((ta / p) / (ts / q));
                for (int i = 0; i < p; i++) a[i * p + i] += pi * Math.Sqrt(gamma);
                for (int i = 0; i < q; i++) s[i * q + i] += Math.Sqrt(gamma) / pi;
                var aInv = new double[p * p];
                var sInv = new double[q * q];
                Kfac.Linalg.Spd.Inverse<double>(a, p, aInv);
                Kfac.Linalg.Spd.Inverse<double>(s, q, sInv);
                // v = -grad - gamma_in W as [q, p]; mhat = v (first step: m = 0.1 v, b = 0.1); second step: (0.09 v1 + 0.1 v2) / 0.19
                var v = new double[q * p];
                for (int i = 0; i < q; i++)
                {
                    for (int j = 0; j < inF; j++) v[i * p + j] = -grad[k][i * inF + j] - gIn * before[k][i * inF + j];
                    v[i * p + inF] = -grad[k + 1][i] - gIn * before[k + 1][i];
                }
                var mhat = Momentum(l, v, step);
                var delta = Multiply(Multiply(sInv, q, q, mhat, p), q, p, aInv, p).Select(e => 0.3 * e).ToArray();
                steps.Add((delta, a, s, p, q, inF, k));
                k += 2;
            }
            // Delta^T F~ Delta = sum over layers of tr(Delta^T S' Delta A') (vec(Delta)^T (A' (x) S') vec(Delta))
            double quadratic = 0;
            foreach (var (delta, a, s, p, q, _, _) in steps)
            {
                var sda = Multiply(Multiply(s, q, q, delta, p), q, p, a, p);
                for (int i = 0; i < q * p; i++) quadratic += sda[i] * delta[i];
            }
            double nu = Math.Min(1, Math.Sqrt(klClip / quadratic));
            if (double.IsFinite(klClip)) Assert.That(nu, Is.LessThan(0.5), "the test's clip must be active");
            Assert.That(opt.LastStepScale, Is.EqualTo(nu).Within(1e-9 * nu));
            var after = net.Parameters();
            foreach (var (delta, _, _, p, q, inF, pk) in steps)
            {
                var w = after[pk].ToDoubleArray();
                var b = after[pk + 1].ToDoubleArray();
                for (int i = 0; i < q; i++)
                {
                    for (int j = 0; j < inF; j++)
                        Assert.That(w[i * inF + j] - before[pk][i * inF + j], Is.EqualTo(nu * delta[i * p + j]).Within(1e-10), $"step {step} parameter {pk} W[{i},{j}]");
                    Assert.That(b[i] - before[pk + 1][i], Is.EqualTo(nu * delta[i * p + inF]).Within(1e-10), $"step {step} parameter {pk + 1} b[{i}]");
                }
            }
        }
    }

    private readonly Dictionary<int, double[]> _momentum = [];

    private double[] Momentum(int layer, double[] v, int step)
    {
        var m = _momentum.TryGetValue(layer, out var old) ? old : new double[v.Length];
        for (int i = 0; i < v.Length; i++) m[i] = 0.9 * m[i] + 0.1 * v[i];
        _momentum[layer] = m;
        double b = 1 - Math.Pow(0.9, step + 1);
        return m.Select(t => t / b).ToArray();
    }

    private static double[] Multiply(double[] a, int rows, int inner, double[] b, int cols)
    {
        var c = new double[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double s = 0;
                for (int t = 0; t < inner; t++) s += a[i * inner + t] * b[t * cols + j];
                c[i * cols + j] = s;
            }
        return c;
    }

    [TestCase(FisherDiagonalEstimate.PerExample)]
    [TestCase(FisherDiagonalEstimate.MiniBatchSquare)]
    public void NoisyAdamWithoutNoiseIsItsDeterministicForm(FisherDiagonalEstimate fisher)
    {
        var (net, x, y) = Problem(13);
        var loss = new SquaredError(1);
        var options = new VariationalOptions { TrainingSetSize = 25, PriorVariance = 2, LearningRate = 0.05, Seed = 3 };
        var opt = new NoisyAdam(net.Parameters(), options, beta1: 0.8, beta2: 0.9, extrinsicDamping: 0.01,
            layers: NoisyKfac.DiscoverLayers(net.Forward, x), fisher: fisher) { NoiseEnabled = false };
        double gIn = options.IntrinsicDamping;
        var ps = net.Parameters();
        var m = ps.Select(p => new double[p.Numel]).ToArray();
        var f = ps.Select(p => new double[p.Numel]).ToArray();
        for (int step = 1; step <= 3; step++)
        {
            var mu = ps.Select(p => p.ToDoubleArray()).ToArray();
            var grad = Gradient(net, x, y, loss);
            var square = fisher == FisherDiagonalEstimate.MiniBatchSquare
                ? grad.Select(g => g.Select(t => t * t).ToArray()).ToArray()
                : PerExampleSquares(net, x, y, loss);
            opt.Step(net.Forward, x, y, loss);
            for (int i = 0; i < ps.Count; i++)
            {
                var now = ps[i].ToDoubleArray();
                for (int j = 0; j < now.Length; j++)
                {
                    m[i][j] = 0.8 * m[i][j] + 0.2 * (-grad[i][j] - gIn * mu[i][j]);
                    f[i][j] = 0.9 * f[i][j] + 0.1 * square[i][j];
                    double expected = mu[i][j] + 0.05 * (m[i][j] / (1 - Math.Pow(0.8, step))) / (f[i][j] + gIn + 0.01);
                    Assert.That(now[j], Is.EqualTo(expected).Within(1e-12), $"step {step} parameter {i}[{j}]");
                    Assert.That(opt.FisherDiagonal[i][j], Is.EqualTo(f[i][j]).Within(1e-12));
                }
            }
        }
    }

    /// <summary>(1/m) sum_i (d loss_i / d theta)^2 by one backward pass per example (loss_i the example's own loss).</summary>
    private static double[][] PerExampleSquares(Sequential net, Tensor x, Tensor y, ILoss loss)
    {
        int m = x.Shape[0];
        var ps = net.Parameters();
        var sum = ps.Select(p => new double[p.Numel]).ToArray();
        var xs = x.ToDoubleArray();
        var ys = y.ToDoubleArray();
        int dx = x.Shape[1], dy = y.Shape[1];
        for (int i = 0; i < m; i++)
        {
            var xi = Tensor.FromDoubles(xs.AsSpan(i * dx, dx), new Shape(1, dx), DType.Float64);
            var yi = Tensor.FromDoubles(ys.AsSpan(i * dy, dy), new Shape(1, dy), DType.Float64);
            var g = Gradient(net, xi, yi, loss);
            for (int k = 0; k < g.Length; k++)
                for (int j = 0; j < g[k].Length; j++) sum[k][j] += g[k][j] * g[k][j] / m;
        }
        return sum;
    }
}

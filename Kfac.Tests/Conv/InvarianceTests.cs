using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Conv;

/// <summary>
/// KFC's invariance (Grosse and Martens 2016, section 6; K-FAC paper section 10): with the homogeneous
/// coordinate, the KFC update is invariant to invertible affine transformations of each layer's input
/// activations abar -> Omega abar and linear ones of its outputs s -> Phi s, because then A -> Omega A Omega^T,
/// G -> Phi^-T G Phi^-1, grad_W -> Phi^-T grad_W Omega^T and the update transforms like the weights,
/// W -> Phi W Omega^-1. So two networks that compute the same function under such a reparameterisation
/// still compute the same function after one KFC step, while after an SGD step they do not.
/// <para>Exactness needs the undamped update (gamma = 0: damping adds pi gamma I, which does not transform
/// with Omega) and zero padding nowhere the activations are transformed (a padded 0 is a different activation
/// in the two networks). Tolerances are in float64, as max |f1 - f2| / max |f1| on fresh inputs.</para>
/// </summary>
public class InvarianceTests
{
    private const int M = 24, Cin = 3, Size = 6, Outputs = 2;
    private const double KfcTolerance = 1e-8, SgdDifference = 1e-3, Rate = 0.5;

    /// <summary>conv 3x3 (3 -> 4) - act - [shift] - maxpool 2 stride 1 - conv 2x2 (4 -> 3) - tanh - dense (12 -> 2), no padding.</summary>
    private static Sequential Network(Module activation, double[]? shift = null)
    {
        var net = new Sequential(
            new Conv2d(Cin, 4, 3, init: Initializer.GlorotNormal, rng: new System.Random(1), dtype: DType.Float64), activation);
        if (shift is not null) net.Add(new ChannelShift(shift));
        net.Add(new MaxPool2d(2, stride: 1));
        net.Add(new Conv2d(4, 3, 2, init: Initializer.GlorotNormal, rng: new System.Random(2), dtype: DType.Float64));
        net.Add(new Tanh());
        net.Add(new Flatten());
        net.Add(new Dense(12, Outputs, init: Initializer.GlorotNormal, rng: new System.Random(3), dtype: DType.Float64));
        // Non-zero biases, so the affine parts of the reparameterisations matter.
        var rng = new System.Random(4);
        foreach (var (name, p) in net.NamedParameters())
            if (name.EndsWith("bias", StringComparison.Ordinal)) p.CopyFrom(Tensor.RandN(p.Shape, rng, 0, 0.5, DType.Float64));
        return net;
    }

    /// <summary>y = x - c per channel (a constant, no parameters).</summary>
    private sealed class ChannelShift(double[] c) : Module
    {
        public override Tensor Forward(Tensor input) =>
            input - Tensor.FromArray(c, new Shape(1, c.Length, 1, 1)).To(input.DType);
    }

    private static Tensor Inputs(int m, int seed)
    {
        // Correlated colour channels: x = L z per pixel, so whitening is a non-trivial transform.
        var z = ConvTestKit.Images(m, Cin, Size, Size, seed).ToArray<double>();
        double[,] l = { { 1, 0, 0 }, { 0.8, 0.6, 0 }, { 0.5, -0.3, 0.7 } };
        var x = new double[z.Length];
        int plane = Size * Size;
        for (int i = 0; i < m; i++)
            for (int c = 0; c < Cin; c++)
                for (int p = 0; p < plane; p++)
                {
                    double s = c == 0 ? 0.3 : -0.2;
                    for (int d = 0; d < Cin; d++) s += l[c, d] * z[(i * Cin + d) * plane + p];
                    x[(i * Cin + c) * plane + p] = s;
                }
        return Tensor.FromArray(x, new Shape(m, Cin, Size, Size));
    }

    private static Tensor Targets(int seed) => Tensor.RandN(new Shape(M, Outputs), new System.Random(seed), dtype: DType.Float64);

    /// <summary>Copies parameters in order (the twins' layer lists differ when one has a shift layer).</summary>
    private static void CopyParameters(Sequential from, Sequential to)
    {
        foreach (var (p, q) in from.Parameters().Zip(to.Parameters())) q.CopyFrom(p);
    }

    private static Conv2d ConvAt(Sequential net, int index) => (Conv2d)net.Layers.Where(l => l is Conv2d).ElementAt(index);

    /// <summary>(a) tanh(u) = 2 sigmoid(2u) - 1: halve conv1, use tanh, and give conv2 W2 / 2 and b2 + W2 . 1/2.</summary>
    private static Sequential TanhTwin(Sequential logistic)
    {
        var twin = Network(new Tanh());
        CopyParameters(logistic, twin);
        var c1 = ConvAt(twin, 0);
        using var noGrad = GradMode.Disable();
        c1.Weight.CopyFrom(c1.Weight * 0.5);
        c1.Bias!.CopyFrom(c1.Bias * 0.5);
        AbsorbInputShift(ConvAt(twin, 1), Enumerable.Repeat(-1.0, 4).ToArray(), scale: 2);
        return twin;
    }

    /// <summary>(b) subtract the batch mean c of the first activations per channel; conv2's bias absorbs W2 . c.</summary>
    private static Sequential CentredTwin(Sequential plain, Tensor x)
    {
        var h = plain[1].Forward(plain[0].Forward(x)).ToArray<double>();
        int plane = h.Length / (M * 4);
        var c = new double[4];
        for (int i = 0; i < M; i++)
            for (int ch = 0; ch < 4; ch++)
                for (int p = 0; p < plane; p++) c[ch] += h[(i * 4 + ch) * plane + p] / (M * plane);
        var twin = Network(new Sigmoid(), c);
        CopyParameters(plain, twin);
        using var noGrad = GradMode.Disable();
        AbsorbInputShift(ConvAt(twin, 1), c.Select(v => -v).ToArray(), scale: 1);
        return twin;
    }

    /// <summary>The layer now sees a' = scale a + shift (per channel) instead of a: W' = W / scale,
    /// b' = b - sum over (cin, kh, kw) of W' shift.</summary>
    private static void AbsorbInputShift(Conv2d conv, double[] shift, double scale)
    {
        var w = conv.Weight.ToArray<double>();
        var b = conv.Bias!.ToArray<double>();
        int per = conv.Kernel.H * conv.Kernel.W, cin = conv.InChannels;
        for (int i = 0; i < w.Length; i++) w[i] /= scale;
        for (int o = 0; o < conv.OutChannels; o++)
            for (int c = 0; c < cin; c++)
                for (int k = 0; k < per; k++) b[o] -= w[(o * cin + c) * per + k] * shift[c];
        conv.Weight.CopyFrom<double>(w);
        conv.Bias.CopyFrom<double>(b);
    }

    /// <summary>(c) x' = K (x - mu) per pixel, K = Sigma^-1/2 the colour whitening of the batch; conv1 gets
    /// W1' = W1 K^-1 over the channel axis and b1' = b1 + W1 . mu.</summary>
    private static (Sequential Twin, Func<Tensor, Tensor> Whiten) WhitenedTwin(Sequential plain, Tensor x)
    {
        var xs = x.ToArray<double>();
        int plane = Size * Size, count = M * plane;
        var mu = new double[Cin];
        var sigma = new double[Cin * Cin];
        for (int i = 0; i < M; i++)
            for (int c = 0; c < Cin; c++)
                for (int p = 0; p < plane; p++) mu[c] += xs[(i * Cin + c) * plane + p] / count;
        for (int i = 0; i < M; i++)
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < Cin; c++)
                    for (int d = 0; d < Cin; d++)
                        sigma[c * Cin + d] += (xs[(i * Cin + c) * plane + p] - mu[c]) * (xs[(i * Cin + d) * plane + p] - mu[d]) / count;
        var k = new double[Cin * Cin];
        var kInverse = new double[Cin * Cin];
        Kfac.Linalg.SymmetricMatrixFunction.Apply(sigma, Cin, v => 1 / Math.Sqrt(v), k);
        Kfac.Linalg.SymmetricMatrixFunction.Apply(sigma, Cin, Math.Sqrt, kInverse);

        var twin = Network(new Sigmoid());
        CopyParameters(plain, twin);
        var conv = ConvAt(twin, 0);
        var w = conv.Weight.ToArray<double>();
        var b = conv.Bias!.ToArray<double>();
        var w2 = new double[w.Length];
        int per = 9;
        for (int o = 0; o < 4; o++)
            for (int j = 0; j < per; j++)
                for (int c = 0; c < Cin; c++)
                {
                    // W1'[o, c, j] = sum_d W1[o, d, j] Kinv[d, c]; b1' = b1 + sum W1[o, d, j] mu_d
                    for (int d = 0; d < Cin; d++) w2[(o * Cin + c) * per + j] += w[(o * Cin + d) * per + j] * kInverse[d * Cin + c];
                    b[o] += w[(o * Cin + c) * per + j] * mu[c];
                }
        conv.Weight.CopyFrom<double>(w2);
        conv.Bias.CopyFrom<double>(b);

        Tensor Whiten(Tensor input)
        {
            var v = input.ToArray<double>();
            int n = input.Shape[0];
            var r = new double[v.Length];
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                    for (int c = 0; c < Cin; c++)
                        for (int d = 0; d < Cin; d++)
                            r[(i * Cin + c) * plane + p] += k[c * Cin + d] * (v[(i * Cin + d) * plane + p] - mu[d]);
            return Tensor.FromArray(r, input.Shape);
        }
        return (twin, Whiten);
    }

    /// <summary>One undamped KFC step theta -= rate F_hat^-1 grad, block by block (exact Fisher statistics, gamma = 0).</summary>
    private static void KfcStep(Sequential net, Tensor x, Tensor targets, double gamma = 0)
    {
        var loss = new SquaredError();
        var captures = Capture(net, loss, x, FisherEstimation.Exact);
        var blocks = captures.Select(c => c.Tag switch
        {
            ConvTag conv => (CurvatureBlock)new KfcBlock(conv),
            DenseTag dense => new KroneckerFactoredBlock(dense),
            _ => throw new InvalidOperationException(),
        }).ToList();
        for (int i = 0; i < blocks.Count; i++)
        {
            blocks[i].UpdateStatistics([captures[i]], 0.95);
            blocks[i].RefreshInverse(gamma);
            Assert.That(blocks[i].LastRefreshRetries, Is.Zero, $"{blocks[i]} needed damping");
        }
        var gradients = Gradients(net, loss, x, targets);
        using var noGrad = GradMode.Disable();
        foreach (var block in blocks)
        {
            var g = block.Parameters.Select(p => gradients[p]).ToArray();
            var d = block.Parameters.Select(p => Tensor.ZerosLike(p)).ToArray();
            block.MultiplyByDampedPower(g, d, -1);
            for (int j = 0; j < d.Length; j++) block.Parameters[j].Backend.Axpby(-Rate, d[j], 1, block.Parameters[j]);
        }
    }

    private static void SgdStep(Sequential net, Tensor x, Tensor targets)
    {
        var gradients = Gradients(net, new SquaredError(), x, targets);
        using var noGrad = GradMode.Disable();
        foreach (var p in net.Parameters()) p.Backend.Axpby(-Rate, gradients[p], 1, p);
    }

    private static Dictionary<Tensor, Tensor> Gradients(Sequential net, ILoss loss, Tensor x, Tensor targets)
    {
        foreach (var p in net.Parameters()) p.Grad = null;
        loss.Value(net.Forward(x), targets).Backward();
        var result = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in net.Parameters()) result[p] = p.Grad!.Clone();
        return result;
    }

    /// <summary>max |f1(x) - f2(x')| / max |f1(x)|.</summary>
    private static double Difference(Sequential a, Tensor xa, Sequential b, Tensor xb)
    {
        using var noGrad = GradMode.Disable();
        var ya = a.Forward(xa).ToArray<double>();
        var yb = b.Forward(xb).ToArray<double>();
        return ya.Zip(yb, (p, q) => Math.Abs(p - q)).Max() / ya.Max(Math.Abs);
    }

    public enum Reparameterisation { LogisticToTanh, Centring, ColourWhitening }

    private static (Sequential A, Sequential B, Func<Tensor, Tensor> MapInput) Twins(Reparameterisation kind, Tensor x) => kind switch
    {
        Reparameterisation.LogisticToTanh => Pair(Network(new Sigmoid()), n => TanhTwin(n)),
        Reparameterisation.Centring => Pair(Network(new Sigmoid()), n => CentredTwin(n, x)),
        Reparameterisation.ColourWhitening => WhitenedPair(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static (Sequential, Sequential, Func<Tensor, Tensor>) Pair(Sequential a, Func<Sequential, Sequential> twin) => (a, twin(a), v => v);

    private static (Sequential, Sequential, Func<Tensor, Tensor>) WhitenedPair(Tensor x)
    {
        var a = Network(new Sigmoid());
        var (b, whiten) = WhitenedTwin(a, x);
        return (a, b, whiten);
    }

    [TestCase(Reparameterisation.LogisticToTanh)]
    [TestCase(Reparameterisation.Centring)]
    [TestCase(Reparameterisation.ColourWhitening)]
    public void OneKfcStepKeepsEquivalentNetworksEquivalent(Reparameterisation kind)
    {
        var x = Inputs(M, seed: 10);
        var test = Inputs(M, seed: 11);
        var targets = Targets(12);
        var (a, b, map) = Twins(kind, x);
        var xb = map(x);
        Assert.That(Difference(a, test, b, map(test)), Is.LessThan(1e-12), "the twins compute the same function");

        KfcStep(a, x, targets);
        KfcStep(b, xb, targets);
        double kfc = Difference(a, test, b, map(test));

        var (c, d, _) = Twins(kind, x);
        SgdStep(c, x, targets);
        SgdStep(d, xb, targets);
        double sgd = Difference(c, test, d, map(test));
        TestContext.Out.WriteLine($"{kind}: after one step, relative output difference KFC {kfc:E2}, SGD {sgd:E2}");
        Assert.That(kfc, Is.LessThan(KfcTolerance), "KFC is invariant");
        Assert.That(sgd, Is.GreaterThan(SgdDifference), "SGD is not");
    }

    /// <summary>The same through the optimizer: fixed learning rate, no momentum, no L2, negligible gamma.</summary>
    [TestCase(Reparameterisation.LogisticToTanh)]
    [TestCase(Reparameterisation.ColourWhitening)]
    public void OneKfacOptimizerStepKeepsEquivalentNetworksEquivalent(Reparameterisation kind)
    {
        var x = Inputs(M, seed: 13);
        var test = Inputs(M, seed: 14);
        var targets = Targets(15);
        var (a, b, map) = Twins(kind, x);
        var options = new KfacOptions
        {
            Estimation = FisherEstimation.Exact, StepSize = StepSizeRule.FixedLearningRate, LearningRate = Rate, Momentum = 0,
            L2 = 0, GammaRule = GammaRule.Fixed, InitialGamma = 1e-12, MinGamma = 1e-12,
        };
        foreach (var (net, input) in new[] { (a, x), (b, map(x)) })
        {
            var kfac = new KfacOptimizer(net.Parameters(), new SquaredError(), options);
            using var scope = TensorScope.Begin();
            Assert.That(kfac.Step(net.Forward, input, targets).Rejected, Is.False);
        }
        double kfc = Difference(a, test, b, map(test));
        TestContext.Out.WriteLine($"{kind} through KfacOptimizer: relative output difference {kfc:E2}");
        Assert.That(kfc, Is.LessThan(1e-6));
    }

    /// <summary>Damping is what breaks the invariance (pi gamma I does not transform with Omega): the same
    /// comparison with gamma = 0.1 differs by far more than the undamped tolerance.</summary>
    [Test]
    public void DampingBreaksTheInvariance()
    {
        var x = Inputs(M, seed: 16);
        var test = Inputs(M, seed: 17);
        var targets = Targets(18);
        var (a, b, map) = Twins(Reparameterisation.ColourWhitening, x);
        KfcStep(a, x, targets, gamma: 0.1);
        KfcStep(b, map(x), targets, gamma: 0.1);
        double damped = Difference(a, test, b, map(test));
        TestContext.Out.WriteLine($"ColourWhitening with gamma = 0.1: relative output difference {damped:E2}");
        Assert.That(damped, Is.GreaterThan(1e3 * KfcTolerance));
    }
}

using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Conv.ConvTestKit;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Conv;

/// <summary>KFC (Grosse and Martens 2016) against direct computation, dense K-FAC and the exact Fisher where
/// theory says they must agree, and its damped operations against dense algebra.</summary>
public class KfcBlockTests
{
    private static Sequential ConvHead(Conv2d conv, int flat, int outputs, Module activation, int seed) =>
        new(conv, activation, new Flatten(), new Dense(flat, outputs, rng: new System.Random(seed), init: Initializer.GlorotNormal, dtype: DType.Float64));

    private static Conv2d Conv(int cin, int cout, (int, int) kernel, (int, int) stride, (int, int) padding, int seed, bool bias = true) =>
        new(cin, cout, kernel, stride, padding, bias, Initializer.GlorotNormal, new System.Random(seed), DType.Float64);

    /// <summary>Ahat and Ghat from explicit patches: loops over examples and locations in double, by the definition
    /// (paper eqs. 23-24 with MATH.md's 1 / (m T) normalisation), including padding, stride 2, a non-square
    /// kernel, the bias coordinate and the sum over the backward passes of Exact estimation.</summary>
    [Test]
    public void FactorsMatchADirectComputationOverPatches()
    {
        int m = 3, cin = 2, h = 5, w = 6, cout = 3, kh = 2, kw = 3, s = 2, pad = 1;
        var conv = Conv(cin, cout, (kh, kw), (s, s), (pad, pad), seed: 1);
        var net = ConvHead(conv, cout * 9, 3, new Tanh(), seed: 2);
        var x = Images(m, cin, h, w, seed: 3);
        var c = Capture(net, new SoftmaxCrossEntropy(), x, FisherEstimation.Exact)[0];
        var block = new KfcBlock(conv.Tag);
        block.UpdateStatistics([c], 0.95);

        int oh = 3, ow = 3, t = oh * ow, k = cin * kh * kw, d = k + 1;
        Assert.That(block.Locations, Is.EqualTo(t));
        var xs = x.ToArray<double>();
        var a = new double[d * d];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++)
                {
                    var abar = new double[d];
                    for (int ch = 0; ch < cin; ch++)
                        for (int u = 0; u < kh; u++)
                            for (int v = 0; v < kw; v++)
                            {
                                int r = p * s - pad + u, col = q * s - pad + v;
                                abar[(ch * kh + u) * kw + v] = r >= 0 && r < h && col >= 0 && col < w ? xs[((i * cin + ch) * h + r) * w + col] : 0;
                            }
                    abar[k] = 1;
                    for (int e = 0; e < d; e++)
                        for (int f = 0; f < d; f++) a[e * d + f] += abar[e] * abar[f] / (m * t);
                }
        var g = new double[cout * cout];
        Assert.That(c.OutputGradients, Has.Count.EqualTo(3), "Exact estimation: one pass per output dimension");
        foreach (var pass in c.OutputGradients)
        {
            var gs = pass.ToArray<double>();
            for (int i = 0; i < m; i++)
                for (int loc = 0; loc < t; loc++)
                    for (int e = 0; e < cout; e++)
                        for (int f = 0; f < cout; f++)
                            g[e * cout + f] += m * gs[(i * cout + e) * t + loc] * m * gs[(i * cout + f) * t + loc] / (m * t);
        }
        Assert.That(RelativeError(block.InputFactor.ToArray<double>(), a), Is.LessThan(1e-13));
        Assert.That(RelativeError(block.OutputFactor.ToArray<double>(), g), Is.LessThan(1e-13));
    }

    /// <summary>With one example and one output location, vec(DW) = abar (x) g exactly, so
    /// F = E_y[abar abar^T (x) g g^T] = abar abar^T (x) E_y[g g^T] = T Ahat (x) Ghat with T = 1.</summary>
    [TestCase(3, 3, 1, 0)]
    [TestCase(4, 4, 2, 0)]
    [TestCase(1, 1, 1, 1)]
    public void BatchOfOneWithOneLocationGivesTheExactFisherBlock(int h, int w, int stride, int pad)
    {
        var conv = Conv(2, 3, (3, 3), (stride, stride), (pad, pad), seed: 4);
        var net = ConvHead(conv, 3, 2, new Sigmoid(), seed: 5);
        var x = Images(1, 2, h, w, seed: 6);
        Assert.That(KfcError(net, conv, x), Is.LessThan(1e-10));
    }

    /// <summary>The converse, so the equality above is not vacuous: with T &gt; 1 the derivatives at different
    /// locations are correlated and KFC is only an approximation.</summary>
    [Test]
    public void SeveralLocationsMakeItAnApproximation()
    {
        var conv = Conv(2, 3, (3, 3), (1, 1), (0, 0), seed: 4);
        var net = ConvHead(conv, 3 * 4, 2, new Sigmoid(), seed: 5);
        Assert.That(KfcError(net, conv, Images(1, 2, 4, 4, seed: 6)), Is.GreaterThan(1e-2));
    }

    /// <summary>|T Ahat (x) Ghat - F_conv| / |F_conv| for the conv layer's block of the exact Fisher.</summary>
    private static double KfcError(Sequential net, Conv2d conv, Tensor x)
    {
        var loss = new SoftmaxCrossEntropy();
        var ps = net.Parameters();
        int p = ExactCurvature.Count(ps);
        var fisher = ExactCurvature.Fisher(net.Forward, ps, loss, x);
        var c = Capture(net, loss, x, FisherEstimation.Exact)[0];
        var block = new KfcBlock(conv.Tag);
        block.UpdateStatistics([c], 0.95);
        int size = conv.Tag.Parameters.Sum(t => t.Numel);
        var kfc = KroneckerInFlatOrder(Scaled(block.InputFactor.ToArray<double>(), block.Locations), block.OutputFactor.ToArray<double>(),
            conv.OutChannels, conv.Tag.PatchSize, bias: true, 0, p);
        return RelativeError(SubMatrix(kfc, p, 0, size), SubMatrix(fisher, p, 0, size));
    }

    /// <summary>
    /// A 1x1 convolution with stride 1 is a dense layer applied to every pixel. Feeding dense K-FAC the m T pixels as
    /// its "examples" (input [m T, Cin], output gradients [m T, Cout]) gives A_dense = Ahat exactly, but the dense
    /// block scales the captured gradients by its batch size m T instead of m, so G_dense = T^2 Ghat and
    /// A_dense (x) G_dense = T (T Ahat (x) Ghat). With damping: dense at gamma sqrt(T) is exactly T times KFC at gamma,
    /// since pi_dense = pi_KFC / T^(3/2); so the KFC update is T times the dense one.
    /// </summary>
    [Test]
    public void OneByOneConvolutionIsDenseKfacOnPixels()
    {
        int m = 2, cin = 3, h = 3, w = 2, cout = 2, t = h * w;
        var conv = Conv(cin, cout, (1, 1), (1, 1), (0, 0), seed: 7);
        var net = ConvHead(conv, cout * t, 2, new Tanh(), seed: 8);
        var x = Images(m, cin, h, w, seed: 9);
        var c = Capture(net, new SoftmaxCrossEntropy(), x, FisherEstimation.Exact)[0];
        var kfc = new KfcBlock(conv.Tag);
        kfc.UpdateStatistics([c], 0.95);

        // The same layer as a dense layer over pixels.
        var weight = Tensor.FromArray(conv.Weight.ToArray<double>(), cout, cin);
        var bias = conv.Bias!.Clone();
        var dense = new DenseTag(() => weight, () => bias, cin, cout);
        var pixels = Tensor.Empty(new Shape(m * t, cin), DType.Float64);
        x.Backend.SwapMiddleAxes(x, m, cin, t, 1, pixels);
        var outputs = Tensor.Empty(new Shape(m * t, cout), DType.Float64);
        x.Backend.SwapMiddleAxes(c.Output, m, cout, t, 1, outputs);
        var pixelCapture = new LayerCapture(dense, pixels, outputs);
        foreach (var pass in c.OutputGradients)
        {
            var rows = Tensor.Empty(new Shape(m * t, cout), DType.Float64);
            x.Backend.SwapMiddleAxes(pass, m, cout, t, 1, rows);
            pixelCapture.AddOutputGradient(rows);
        }
        var kfac = new KroneckerFactoredBlock(dense);
        kfac.UpdateStatistics([pixelCapture], 0.95);

        Assert.That(RelativeError(kfac.InputFactor!.ToArray<double>(), kfc.InputFactor.ToArray<double>()), Is.LessThan(1e-13), "A_dense = Ahat");
        Assert.That(RelativeError(kfac.OutputFactor!.ToArray<double>(), Scaled(kfc.OutputFactor.ToArray<double>(), t * t)), Is.LessThan(1e-13), "G_dense = T^2 Ghat");

        const double gamma = 0.3;
        kfc.RefreshInverse(gamma);
        kfac.RefreshInverse(gamma * Math.Sqrt(t));
        Assert.That(kfac.Pi, Is.EqualTo(kfc.Pi / Math.Pow(t, 1.5)).Within(1e-12 * kfc.Pi));
        var v = RandomVector(conv.Tag.Parameters, seed: 10);
        var kfcResult = ZerosLike(conv.Tag.Parameters);
        kfc.MultiplyByDampedPower(v, kfcResult, -1);
        var vDense = new[] { Tensor.FromArray(v[0].ToArray<double>(), cout, cin), v[1] };
        var denseResult = ZerosLike(dense.Parameters);
        kfac.MultiplyByDampedPower(vDense, denseResult, -1);
        Assert.That(RelativeError(ExactCurvature.Flatten(kfcResult), Scaled(ExactCurvature.Flatten(denseResult), t)), Is.LessThan(1e-11),
            "KFC^-1 v at gamma = T * dense^-1 v at gamma sqrt(T)");
    }

    /// <summary>The damped block is (T Ahat + pi gamma I) (x) (Ghat + gamma / pi I) with
    /// pi = sqrt((T tr Ahat / dim A) / (tr Ghat / dim G)); multiply and inverse against dense algebra; and the
    /// damped product does not depend on whether T multiplies Ahat or Ghat.</summary>
    [TestCase(true)]
    [TestCase(false)]
    public void DampedMultiplyAndInverseMatchDenseAlgebra(bool bias)
    {
        var conv = Conv(2, 3, (3, 2), (2, 1), (1, 0), seed: 11, bias);
        var net = ConvHead(conv, 3 * 3 * 4, 3, new Tanh(), seed: 12);
        var c = Capture(net, new SoftmaxCrossEntropy(), Images(2, 2, 5, 5, seed: 13), FisherEstimation.Exact)[0];
        var block = new KfcBlock(conv.Tag);
        block.UpdateStatistics([c], 0.95);
        const double gamma = 0.2;
        block.RefreshInverse(gamma);

        int t = block.Locations, dIn = conv.Tag.InputDim, dOut = 3, size = conv.Tag.Parameters.Sum(p => p.Numel);
        Assert.That(t, Is.EqualTo(12));
        var a = block.InputFactor.ToArray<double>();
        var g = block.OutputFactor.ToArray<double>();
        double trA = Enumerable.Range(0, dIn).Sum(i => a[i * dIn + i]), trG = Enumerable.Range(0, dOut).Sum(i => g[i * dOut + i]);
        double pi = Math.Sqrt(t * trA / dIn / (trG / dOut));
        Assert.That(block.Pi, Is.EqualTo(pi).Within(1e-12 * pi));
        var ad = AddIdentity(Scaled(a, t), dIn, pi * gamma);
        var gd = AddIdentity(g, dOut, gamma / pi);
        var dense = KroneckerInFlatOrder(ad, gd, dOut, conv.Tag.PatchSize, bias, 0, size);

        // T moved to the other factor, with pi recomputed from that split: the same damped matrix.
        double piSplit = Math.Sqrt(trA / dIn / (t * trG / dOut));
        var split = KroneckerInFlatOrder(AddIdentity(a, dIn, piSplit * gamma), AddIdentity(Scaled(g, t), dOut, gamma / piSplit), dOut, conv.Tag.PatchSize, bias, 0, size);
        Assert.That(RelativeError(split, dense), Is.LessThan(1e-13), "damping on the product is independent of where T goes");

        var v = RandomVector(conv.Tag.Parameters, seed: 14);
        var result = ZerosLike(conv.Tag.Parameters);
        var flatV = ExactCurvature.Flatten(v);
        block.MultiplyByDampedPower(v, result, 1);
        Assert.That(RelativeError(ExactCurvature.Flatten(result), MatVec(dense, flatV)), Is.LessThan(1e-12), "multiply");
        block.MultiplyByDampedPower(v, result, -1);
        Assert.That(RelativeError(ExactCurvature.Flatten(result), MatVec(Inverse(dense, size), flatV)), Is.LessThan(1e-9), "inverse");
        Assert.That(RelativeError(block.InputFactorInverse.ToArray<double>(), Inverse(ad, dIn)), Is.LessThan(1e-10), "cached (T Ahat + pi gamma I)^-1");
    }

    [Test]
    public void StatisticsAreAnExponentialMovingAverage()
    {
        var conv = Conv(1, 2, (2, 2), (1, 1), (0, 0), seed: 15);
        var net = ConvHead(conv, 2 * 9, 2, new Tanh(), seed: 16);
        var loss = new SquaredError();
        var c1 = Capture(net, loss, Images(2, 1, 4, 4, seed: 17), FisherEstimation.Exact)[0];
        var c2 = Capture(net, loss, Images(2, 1, 4, 4, seed: 18), FisherEstimation.Exact)[0];
        var ema = new KfcBlock(conv.Tag);
        var first = new KfcBlock(conv.Tag);
        var second = new KfcBlock(conv.Tag);
        ema.UpdateStatistics([c1], 0.9);
        ema.UpdateStatistics([c2], 0.9);
        first.UpdateStatistics([c1], 0.9);
        second.UpdateStatistics([c2], 0.9);
        // k = 2: eps = min(1 - 1/2, 0.9) = 0.5
        var expectedA = first.InputFactor.ToArray<double>().Zip(second.InputFactor.ToArray<double>(), (p, q) => 0.5 * p + 0.5 * q).ToArray();
        var expectedG = first.OutputFactor.ToArray<double>().Zip(second.OutputFactor.ToArray<double>(), (p, q) => 0.5 * p + 0.5 * q).ToArray();
        Assert.That(ema.InputFactor.ToArray<double>(), Is.EqualTo(expectedA).Within(1e-12));
        Assert.That(ema.OutputFactor.ToArray<double>(), Is.EqualTo(expectedG).Within(1e-12));
        Assert.That(first.InputFactor[4, 4], Is.EqualTo(1).Within(1e-12), "homogeneous coordinate: E[1 * 1] = 1");
    }

    /// <summary>The factors are per-location averages, so batches of different image sizes mix in the EMA; the T that
    /// multiplies the product is the latest batch's.</summary>
    [Test]
    public void ImageSizeMayChangeBetweenBatches()
    {
        var conv = Conv(1, 2, (2, 2), (1, 1), (0, 0), seed: 19);
        var loss = new SquaredError();
        var small = Capture(new Sequential(conv, new Tanh(), new AvgPool2d(3), new Flatten()), loss, Images(2, 1, 4, 4, seed: 20), FisherEstimation.Exact)[0];
        var large = Capture(new Sequential(conv, new Tanh(), new AvgPool2d(5), new Flatten()), loss, Images(2, 1, 6, 6, seed: 21), FisherEstimation.Exact)[0];
        var ema = new KfcBlock(conv.Tag);
        var alone = new KfcBlock(conv.Tag);
        ema.UpdateStatistics([small], 0.9);
        Assert.That(ema.Locations, Is.EqualTo(9));
        var first = ema.InputFactor.ToArray<double>();
        ema.UpdateStatistics([large], 0.9);
        alone.UpdateStatistics([large], 0.9);
        Assert.That(ema.Locations, Is.EqualTo(25));
        Assert.That(ema.InputFactor.ToArray<double>(), Is.EqualTo(first.Zip(alone.InputFactor.ToArray<double>(), (p, q) => 0.5 * p + 0.5 * q).ToArray()).Within(1e-12));
    }

    /// <summary>Eigenbasis damping applies (T Ahat (x) Ghat + gamma^2 I)^p exactly, for any power.</summary>
    [TestCase(-1.0)]
    [TestCase(-0.5)]
    [TestCase(1.0)]
    public void EigenbasisDampingAppliesExactPowersOfTheDampedProduct(double power)
    {
        var conv = Conv(2, 3, (2, 2), (1, 1), (1, 1), seed: 22);
        var net = ConvHead(conv, 3 * 25, 2, new Tanh(), seed: 23);
        var c = Capture(net, new SoftmaxCrossEntropy(), Images(2, 2, 4, 4, seed: 24), FisherEstimation.Exact)[0];
        var block = new KfcBlock(conv.Tag, DampingStyle.Eigenbasis);
        block.UpdateStatistics([c], 0.95);
        const double gamma = 0.05;
        block.RefreshInverse(gamma);
        int size = conv.Tag.Parameters.Sum(p => p.Numel);
        var dense = KroneckerInFlatOrder(Scaled(block.InputFactor.ToArray<double>(), block.Locations), block.OutputFactor.ToArray<double>(),
            3, conv.Tag.PatchSize, bias: true, 0, size);
        var damped = AddIdentity(dense, size, gamma * gamma);
        var expected = new double[size * size];
        Kfac.Linalg.SymmetricMatrixFunction.Apply(damped, size, v => Math.Pow(v, power), expected);
        var v = RandomVector(conv.Tag.Parameters, seed: 25);
        var result = ZerosLike(conv.Tag.Parameters);
        block.MultiplyByDampedPower(v, result, power);
        Assert.That(RelativeError(ExactCurvature.Flatten(result), MatVec(expected, ExactCurvature.Flatten(v))), Is.LessThan(1e-9));
    }
}

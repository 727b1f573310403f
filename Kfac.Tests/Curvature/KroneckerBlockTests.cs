using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Curvature;

/// <summary>K-FAC's dense blocks against the exact Fisher where theory says they must agree, and the
/// block operations against dense linear algebra.</summary>
public class KroneckerBlockTests
{
    /// <summary>With one example, F_l = E_y[(abar (x) g)(abar (x) g)^T] = abar abar^T (x) E_y[g g^T] exactly.</summary>
    [TestCase(Activation.Sigmoid, typeof(SoftmaxCrossEntropy))]
    [TestCase(Activation.Tanh, typeof(SigmoidCrossEntropy))]
    [TestCase(Activation.Relu, typeof(SquaredError))]
    public void BatchOfOneGivesExactFisherBlocks(Activation activation, Type lossType)
    {
        var loss = (ILoss)Activator.CreateInstance(lossType)!;
        var net = Network([3, 4, 3], activation, seed: 11);
        var x = Inputs(1, 3, seed: 12);
        AssertBlocksEqualExactFisher(net, loss, x, tolerance: 1e-10);
    }

    /// <summary>In a deep linear network dz/ds is constant, so g is independent of the input and
    /// E[abar abar^T (x) g g^T] factorises for any batch (with Exact-mode G).</summary>
    [Test]
    public void DeepLinearNetworkWithSquaredErrorGivesExactFisherBlocks()
    {
        var net = Network([3, 4, 3, 2], Activation.Identity, seed: 21);
        var x = Inputs(7, 3, seed: 22);
        AssertBlocksEqualExactFisher(net, new SquaredError(0.5), x, tolerance: 1e-10);
    }

    private static void AssertBlocksEqualExactFisher(Sequential net, ILoss loss, Tensor x, double tolerance)
    {
        var ps = net.Parameters();
        int p = ExactCurvature.Count(ps);
        var fisher = ExactCurvature.Fisher(net.Forward, ps, loss, x);
        var captures = Capture(net, loss, x, FisherEstimation.Exact);
        int offset = 0;
        foreach (var c in captures)
        {
            var tag = (DenseTag)c.Tag;
            var block = new KroneckerFactoredBlock(tag);
            block.UpdateStatistics([c], 0.95);
            var kron = KroneckerInFlatOrder(block.InputFactor!.ToArray<double>(), block.OutputFactor!.ToArray<double>(), tag, offset, p);
            int size = tag.Parameters.Sum(t => t.Numel);
            var expected = SubMatrix(fisher, p, offset, size);
            var actual = SubMatrix(kron, p, offset, size);
            Assert.That(RelativeError(actual, expected), Is.LessThan(tolerance), $"{tag}");
            offset += size;
        }
    }

    [Test]
    public void DampedMultiplyAndInverseMatchDenseAlgebra()
    {
        var net = Network([4, 5, 3], Activation.Tanh, seed: 31);
        var x = Inputs(6, 4, seed: 32);
        var captures = Capture(net, new SoftmaxCrossEntropy(), x, FisherEstimation.Exact);
        var layer = (Dense)net[2];
        var tag = layer.Tag;
        var block = new KroneckerFactoredBlock(tag);
        block.UpdateStatistics([captures[1]], 0.95);
        const double gamma = 0.3;
        block.RefreshInverse(gamma);

        var a = block.InputFactor!.ToArray<double>();
        var g = block.OutputFactor!.ToArray<double>();
        int dIn = tag.InputDim, dOut = tag.OutFeatures;
        // pi = sqrt((tr A / dim A) / (tr G / dim G))
        double trA = Enumerable.Range(0, dIn).Sum(i => a[i * dIn + i]), trG = Enumerable.Range(0, dOut).Sum(i => g[i * dOut + i]);
        double pi = Math.Sqrt(trA / dIn / (trG / dOut));
        Assert.That(block.Pi, Is.EqualTo(pi).Within(1e-12));
        var ad = AddIdentity(a, dIn, pi * gamma);
        var gd = AddIdentity(g, dOut, gamma / pi);
        Assert.That(RelativeError(block.InputFactorInverse!.ToArray<double>(), Inverse(ad, dIn)), Is.LessThan(1e-10), "cached A inverse = fresh dense inverse");
        Assert.That(RelativeError(block.OutputFactorInverse!.ToArray<double>(), Inverse(gd, dOut)), Is.LessThan(1e-10), "cached G inverse = fresh dense inverse");

        int p = tag.Parameters.Sum(t => t.Numel);
        var dense = KroneckerInFlatOrder(ad, gd, tag, 0, p);
        var rng = new System.Random(33);
        var v = tag.Parameters.Select(t => Tensor.RandN(t.Shape, rng, dtype: DType.Float64)).ToArray();
        var flatV = ExactCurvature.Flatten(v);
        var result = tag.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();

        block.MultiplyByDampedPower(v, result, 1);
        Assert.That(RelativeError(ExactCurvature.Flatten(result), MatVec(dense, flatV)), Is.LessThan(1e-12), "block multiply = dense (A + pi gamma I) (x) (G + gamma/pi I) v");

        block.MultiplyByDampedPower(v, result, -1);
        Assert.That(RelativeError(ExactCurvature.Flatten(result), MatVec(Inverse(dense, p), flatV)), Is.LessThan(1e-9), "inverse multiply = dense solve");
    }

    [Test]
    public void StatisticsAreAnExponentialMovingAverageWithDebiasedStart()
    {
        var net = Network([3, 2], Activation.Identity, seed: 41);
        var tag = ((Dense)net[0]).Tag;
        var block = new KroneckerFactoredBlock(tag);
        var x1 = Inputs(5, 3, seed: 42);
        var x2 = Inputs(5, 3, seed: 43);
        var c1 = Capture(net, new SquaredError(), x1, FisherEstimation.Exact);
        block.UpdateStatistics(c1, 0.9);
        var a1 = block.InputFactor!.ToArray<double>();
        var fresh1 = new KroneckerFactoredBlock(tag);
        fresh1.UpdateStatistics(c1, 0.9);
        var c2 = Capture(net, new SquaredError(), x2, FisherEstimation.Exact);
        var fresh2 = new KroneckerFactoredBlock(tag);
        fresh2.UpdateStatistics(c2, 0.9);
        block.UpdateStatistics(c2, 0.9);
        // k = 2: eps = min(1 - 1/2, 0.9) = 0.5
        var a2 = fresh2.InputFactor!.ToArray<double>();
        var ema = block.InputFactor!.ToArray<double>();
        for (int i = 0; i < ema.Length; i++) Assert.That(ema[i], Is.EqualTo(0.5 * a1[i] + 0.5 * a2[i]).Within(1e-12));
        // the first update equals the batch statistic itself: (1/m) Xbar^T Xbar
        var xv = x1.ToArray<double>();
        double a00 = 0;
        for (int r = 0; r < 5; r++) a00 += xv[r * 3] * xv[r * 3] / 5;
        Assert.That(a1[0], Is.EqualTo(a00).Within(1e-12));
        Assert.That(a1[3 * 4 + 3], Is.EqualTo(1).Within(1e-12), "homogeneous coordinate: E[1 * 1] = 1");
    }

    /// <summary>The statistics update only the factors' lower triangles (no per-step mirror); every reader still sees
    /// whole, exactly symmetric factors, bit for bit those of a block that was read (so mirrored) after every update,
    /// and the refreshed inverses agree bit for bit too.</summary>
    [TestCase("InputFactor")]
    [TestCase("StatisticsTensors")]
    [TestCase("StateTensors")]
    [TestCase("RefreshInverse")]
    public void LowerOnlyStatisticsLookWholeToEveryReader(string reader)
    {
        var net = Network([4, 6, 3], Activation.Tanh, seed: 61);
        var tag = ((Dense)net[2]).Tag;
        var lazy = new KroneckerFactoredBlock(tag);
        var eager = new KroneckerFactoredBlock(tag);
        for (int step = 0; step < 3; step++)
        {
            var capture = Capture(net, new SoftmaxCrossEntropy(), Inputs(5, 4, seed: 62 + step), FisherEstimation.Sampled)[1];
            lazy.UpdateStatistics([capture], 0.9);
            eager.UpdateStatistics([capture], 0.9);
            _ = eager.InputFactor; // a reader after every update
        }
        Tensor[] got = reader switch
        {
            "InputFactor" => [lazy.InputFactor, lazy.OutputFactor],
            "StatisticsTensors" => lazy.StatisticsTensors().ToArray(),
            "StateTensors" => lazy.StateTensors().Where(t => t.Name is "A" or "G").Select(t => t.Value).ToArray(),
            _ => Refreshed(lazy),
        };
        Tensor[] want = reader == "RefreshInverse" ? Refreshed(eager) : [eager.InputFactor, eager.OutputFactor];
        for (int f = 0; f < 2; f++)
        {
            double[] g = got[f].ToArray<double>(), w = want[f].ToArray<double>();
            int n = got[f].Shape[0];
            Assert.That(g, Is.EqualTo(w), $"{reader}: factor {f} differs from the eagerly mirrored block's");
            for (int i = 0; i < n; i++)
                for (int j = 0; j < i; j++) Assert.That(g[j * n + i], Is.EqualTo(g[i * n + j]), $"{reader}: factor {f} ({i}, {j}) not symmetric");
        }

        static Tensor[] Refreshed(KroneckerFactoredBlock block)
        {
            block.RefreshInverse(0.1);
            return [block.InputFactorInverse, block.OutputFactorInverse];
        }
    }

    /// <summary>Distributed K-FAC's statistics message holds A's and G's lower triangles only (7 x 7 and 3 x 3: 28 + 6
    /// elements), and a reduction through it (one rank, scale 2) leaves factors that every reader sees whole: twice
    /// the eagerly mirrored block's, symmetric, although the upper triangles were stale when it was packed.</summary>
    [Test]
    public void TheStatisticsMessageCarriesLowerTrianglesAndLeavesWholeFactors()
    {
        var net = Network([4, 6, 3], Activation.Tanh, seed: 63);
        var tag = ((Dense)net[2]).Tag;
        var lazy = new KroneckerFactoredBlock(tag);
        var eager = new KroneckerFactoredBlock(tag);
        var message = (Kfac.Distributed.PackedTensors?)null;
        for (int step = 0; step < 3; step++)
        {
            var capture = Capture(net, new SoftmaxCrossEntropy(), Inputs(5, 4, seed: 64 + step), FisherEstimation.Sampled)[1];
            lazy.UpdateStatistics([capture], 0.9);
            eager.UpdateStatistics([capture], 0.9);
            message ??= CurvatureBlock.StatisticsMessage([lazy]);
        }
        Assert.That(message!.Elements, Is.EqualTo(7 * 8 / 2 + 3 * 4 / 2));
        message.AllReduceSum(Kfac.Distributed.SingleProcessCommunicator.Instance, 2);
        Tensor[] got = [lazy.InputFactor, lazy.OutputFactor], want = [eager.InputFactor, eager.OutputFactor];
        for (int f = 0; f < 2; f++)
        {
            double[] g = got[f].ToArray<double>(), w = want[f].ToArray<double>();
            Assert.That(g, Is.EqualTo(w.Select(v => 2 * v).ToArray()).Within(1e-6), $"factor {f}");
            int n = got[f].Shape[0];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < i; j++) Assert.That(g[j * n + i], Is.EqualTo(g[i * n + j]), $"factor {f} ({i}, {j}) not symmetric");
        }
    }

    [Test]
    public void RefreshRaisesDampingWhenAFactorIsNotPositiveDefinite()
    {
        // Zero inputs make A = e e^T (rank one): undamped, Cholesky fails; the block retries with more damping.
        var net = Network([3, 2], Activation.Identity, seed: 51);
        var captures = Capture(net, new SquaredError(), Tensor.Zeros(new Shape(4, 3), DType.Float64), FisherEstimation.Exact);
        var block = new KroneckerFactoredBlock(((Dense)net[0]).Tag);
        block.UpdateStatistics(captures, 0.95);
        block.RefreshInverse(0);
        Assert.That(block.LastRefreshRetries, Is.GreaterThan(0));
        Assert.That(block.InverseDamping, Is.GreaterThan(0));
    }

    [Test]
    public void MultiplyBeforeRefreshAndWrongShapesAreRejected()
    {
        var net = Network([3, 2], Activation.Identity, seed: 61);
        var tag = ((Dense)net[0]).Tag;
        var block = new KroneckerFactoredBlock(tag);
        var v = tag.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
        Assert.That(() => block.MultiplyByDampedPower(v, v, -1), Throws.InvalidOperationException.With.Message.Contain("RefreshInverse"));
        block.UpdateStatistics(Capture(net, new SquaredError(), Inputs(3, 3, 62), FisherEstimation.Exact), 0.95);
        block.RefreshInverse(1);
        var wrong = new[] { Tensor.Zeros(new Shape(3, 2), DType.Float64), v[1] };
        Assert.That(() => block.MultiplyByDampedPower(wrong, v, -1), Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("[2, 3]").And.Message.Contain("[3, 2]"));
    }
}

public class EigenbasisDampingTests
{
    [Test]
    public void DampedPowersMatchDenseAlgebra()
    {
        var net = Network([3, 4, 3], Activation.Sigmoid, seed: 141);
        var captures = Capture(net, new SoftmaxCrossEntropy(), Inputs(7, 3, 142), FisherEstimation.Exact);
        var tag = ((Dense)net[2]).Tag;
        var block = new KroneckerFactoredBlock(tag, DampingStyle.Eigenbasis);
        block.UpdateStatistics([captures[1]], 0.95);
        const double gamma = 0.3;
        block.RefreshInverse(gamma);
        int p = tag.Parameters.Sum(t => t.Numel);
        var dense = KroneckerInFlatOrder(block.InputFactor!.ToArray<double>(), block.OutputFactor!.ToArray<double>(), tag, 0, p);
        for (int i = 0; i < p; i++) dense[i * p + i] += gamma * gamma;
        var rng = new System.Random(143);
        var v = tag.Parameters.Select(t => Tensor.RandN(t.Shape, rng, dtype: DType.Float64)).ToArray();
        var flat = ExactCurvature.Flatten(v);
        var r = tag.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();

        block.MultiplyByDampedPower(v, r, 1);
        Assert.That(RelativeError(ExactCurvature.Flatten(r), MatVec(dense, flat)), Is.LessThan(1e-10), "power 1");
        block.MultiplyByDampedPower(v, r, -1);
        Assert.That(RelativeError(ExactCurvature.Flatten(r), MatVec(Inverse(dense, p), flat)), Is.LessThan(1e-9), "power -1");
        // (M^-1/2)^2 = M^-1
        var half = tag.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
        var twice = tag.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
        block.MultiplyByDampedPower(v, half, -0.5);
        block.MultiplyByDampedPower(half, twice, -0.5);
        Assert.That(RelativeError(ExactCurvature.Flatten(twice), ExactCurvature.Flatten(r)), Is.LessThan(1e-10), "power -1/2 twice");
    }

    [Test]
    public void FactoredBlocksRejectFractionalPowers()
    {
        var net = Network([3, 2], Activation.Identity, seed: 151);
        var tag = ((Dense)net[0]).Tag;
        var block = new KroneckerFactoredBlock(tag);
        block.UpdateStatistics(Capture(net, new SquaredError(), Inputs(3, 3, 152), FisherEstimation.Exact), 0.95);
        block.RefreshInverse(1);
        var v = tag.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
        Assert.That(() => block.MultiplyByDampedPower(v, v, -0.5), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}

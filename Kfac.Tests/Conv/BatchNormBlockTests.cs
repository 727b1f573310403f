using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Conv.ConvTestKit;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Conv;

/// <summary>The batch-norm Fisher blocks: per-example gradients make the full block exact by construction.</summary>
public class BatchNormBlockTests
{
    private static (Sequential Net, BatchNorm Bn, Tensor X) ImageNet()
    {
        var bn = new BatchNorm(3, dtype: DType.Float64);
        var net = new Sequential(
            new Conv2d(2, 3, 2, init: Initializer.GlorotNormal, rng: new System.Random(1), dtype: DType.Float64), bn, new Tanh(), new Flatten(),
            new Dense(3 * 2 * 2, 3, init: Initializer.GlorotNormal, rng: new System.Random(2), dtype: DType.Float64));
        return (net, bn, Images(4, 2, 3, 3, seed: 3));
    }

    private static (Sequential Net, BatchNorm Bn, Tensor X) FeatureNet()
    {
        var bn = new BatchNorm(3, dtype: DType.Float64);
        var net = new Sequential(
            new Dense(4, 3, init: Initializer.GlorotNormal, rng: new System.Random(4), dtype: DType.Float64), bn, new Tanh(),
            new Dense(3, 3, init: Initializer.GlorotNormal, rng: new System.Random(5), dtype: DType.Float64));
        return (net, bn, Inputs(5, 4, seed: 6));
    }

    private static void Randomise(BatchNorm bn)
    {
        bn.Scale!.CopyFrom(Tensor.RandN(new Shape(3), new System.Random(7), 1, 0.5, DType.Float64));
        bn.Shift!.CopyFrom(Tensor.RandN(new Shape(3), new System.Random(8), 0, 0.5, DType.Float64));
    }

    /// <summary>F = (1/m) sum_i sum_j u_ij u_ij^T with u_ij = J_i^T b_ij (b_j the Fisher square-root columns) is the
    /// exact Fisher block for any batch size, as long as nothing after the layer couples the examples.</summary>
    [TestCase(true)]
    [TestCase(false)]
    public void FullBlockIsTheExactFisherBlock(bool images)
    {
        var (net, bn, x) = images ? ImageNet() : FeatureNet();
        Randomise(bn);
        var loss = new SoftmaxCrossEntropy();
        var ps = net.Parameters();
        int p = ExactCurvature.Count(ps), offset = Offset(net, bn.Scale!);
        var fisher = ExactCurvature.Fisher(net.Forward, ps, loss, x);
        var capture = Capture(net, loss, x, FisherEstimation.Exact).Single(c => c.Tag is BatchNormTag);
        var block = new FullBlock(bn.Tag!);
        block.UpdateStatistics([capture], 0.95);
        Assert.That(RelativeError(block.Matrix.ToArray<double>(), SubMatrix(fisher, p, offset, 6)), Is.LessThan(1e-10));
    }

    [Test]
    public void FullBlockDampedMultiplyAndInverseMatchDenseAlgebra()
    {
        var (net, bn, x) = ImageNet();
        Randomise(bn);
        var capture = Capture(net, new SoftmaxCrossEntropy(), x, FisherEstimation.Sampled).Single(c => c.Tag is BatchNormTag);
        var block = new FullBlock(bn.Tag!);
        block.UpdateStatistics([capture], 0.95);
        const double gamma = 0.1;
        block.RefreshInverse(gamma);
        var dense = AddIdentity(block.Matrix.ToArray<double>(), 6, gamma * gamma);
        var v = RandomVector(bn.Tag!.Parameters, seed: 9);
        var r = ZerosLike(bn.Tag.Parameters);
        block.MultiplyByDampedPower(v, r, 1);
        Assert.That(RelativeError(ExactCurvature.Flatten(r), MatVec(dense, ExactCurvature.Flatten(v))), Is.LessThan(1e-13), "(F + gamma^2 I) v");
        block.MultiplyByDampedPower(v, r, -1);
        Assert.That(RelativeError(ExactCurvature.Flatten(r), MatVec(Inverse(dense, 6), ExactCurvature.Flatten(v))), Is.LessThan(1e-10), "(F + gamma^2 I)^-1 v");
    }

    [Test]
    public void DiagonalBlockIsTheDiagonalOfTheFullBlock()
    {
        var (net, bn, x) = ImageNet();
        Randomise(bn);
        var capture = Capture(net, new SoftmaxCrossEntropy(), x, FisherEstimation.Exact).Single(c => c.Tag is BatchNormTag);
        var full = new FullBlock(bn.Tag!);
        var diagonal = new DiagonalBlock(bn.Tag!);
        full.UpdateStatistics([capture], 0.95);
        diagonal.UpdateStatistics([capture], 0.95);
        var f = full.Matrix.ToArray<double>();
        var d = diagonal.Diagonal.ToArray<double>();
        for (int i = 0; i < 6; i++) Assert.That(d[i], Is.EqualTo(f[i * 6 + i]).Within(1e-12 * (1 + f[i * 6 + i])));

        const double gamma = 0.3;
        diagonal.RefreshInverse(gamma);
        var v = RandomVector(bn.Tag!.Parameters, seed: 10);
        var r = ZerosLike(bn.Tag.Parameters);
        var flat = ExactCurvature.Flatten(v);
        diagonal.MultiplyByDampedPower(v, r, -1);
        Assert.That(ExactCurvature.Flatten(r), Is.EqualTo(flat.Select((vi, i) => vi / (d[i] + gamma * gamma)).ToArray()).Within(1e-12));
        diagonal.MultiplyByDampedPower(v, r, 1);
        Assert.That(ExactCurvature.Flatten(r), Is.EqualTo(flat.Select((vi, i) => vi * (d[i] + gamma * gamma)).ToArray()).Within(1e-12));
    }

    [Test]
    public void UndampedZeroDiagonalIsRejectedAndRetriedWithDamping()
    {
        // A scale whose every per-example gradient is 0 (zero output gradients never happen with sampled targets,
        // so use zero inputs to the whole network: xhat = 0, so dL/dgamma = 0).
        var (net, bn, _) = FeatureNet();
        var capture = Capture(net, new SoftmaxCrossEntropy(), Tensor.Zeros(new Shape(4, 4), DType.Float64), FisherEstimation.Exact)
            .Single(c => c.Tag is BatchNormTag);
        var diagonal = new DiagonalBlock(bn.Tag!);
        diagonal.UpdateStatistics([capture], 0.95);
        diagonal.RefreshInverse(0);
        Assert.That(diagonal.LastRefreshRetries, Is.GreaterThan(0));
        Assert.That(diagonal.InverseDamping, Is.GreaterThan(0));
    }

    [Test]
    public void PerExampleGradientsSumToTheBatchGradient()
    {
        var (net, bn, x) = ImageNet();
        Randomise(bn);
        var loss = new SoftmaxCrossEntropy();
        var targets = SoftmaxOpsOneHot([0, 2, 1, 1], 3);
        var recorder = new CurvatureRecorder();
        Tensor z;
        using (recorder.Activate()) z = net.Forward(x);
        recorder.CapturingGradients = true;
        loss.Value(z, targets).Backward();
        recorder.CapturingGradients = false;
        var capture = recorder.Captures.Single(c => c.Tag is BatchNormTag);
        var u = Tensor.Empty(new Shape(4, 6), DType.Float64);
        bn.Tag!.PerExampleGradients(capture, capture.OutputGradients[0], u);
        var us = u.ToArray<double>();
        var grad = bn.Scale!.Grad!.ToArray<double>().Concat(bn.Shift!.Grad!.ToArray<double>()).ToArray();
        for (int j = 0; j < 6; j++)
            Assert.That(Enumerable.Range(0, 4).Sum(i => us[i * 6 + j]) / 4, Is.EqualTo(grad[j]).Within(1e-12), "mean of u_i = gradient of the mean loss");
    }

    private static Tensor SoftmaxOpsOneHot(int[] labels, int classes) => Kfac.Ops.SoftmaxOps.OneHot(labels, classes, DType.Float64);
}

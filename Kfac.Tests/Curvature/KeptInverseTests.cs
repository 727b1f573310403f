using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Curvature;

/// <summary>KeepInverse / RestoreKeptInverse, which let the gamma trials (section 6.6) keep the best trial's
/// inverse instead of refreshing a fourth time: a restored inverse must act exactly as the one it copied.</summary>
public class KeptInverseTests
{
    [TestCase(DampingStyle.FactoredTikhonov)]
    [TestCase(DampingStyle.Eigenbasis)]
    public void RestoredInverseActsExactlyAsTheKeptOne(DampingStyle damping)
    {
        var net = Network([4, 5, 3], Activation.Tanh, seed: 171);
        var captures = Capture(net, new SoftmaxCrossEntropy(), Inputs(9, 4, 172), FisherEstimation.Exact);
        var tag = ((Dense)net[2]).Tag;
        var block = new KroneckerFactoredBlock(tag, damping);
        block.UpdateStatistics([captures[1]], 0.95);
        var rng = new System.Random(173);
        var v = tag.Parameters.Select(t => Tensor.RandN(t.Shape, rng, dtype: DType.Float64)).ToArray();
        double[] Apply() => ApplyInverse(block, v);

        block.RefreshInverse(0.5);
        var atHalf = Apply();
        double pi = block.Pi;
        Assert.That(block.KeepInverse(), Is.True);
        block.RefreshInverse(3);
        var atThree = Apply();
        Assert.That(RelativeError(atThree, atHalf), Is.GreaterThan(1e-3), "the second refresh changed the inverse");
        block.RestoreKeptInverse();
        Assert.That(Apply(), Is.EqualTo(atHalf), "restored inverse applies bit for bit as the kept one");
        Assert.That(block.InverseDamping, Is.EqualTo(0.5));
        Assert.That(block.Pi, Is.EqualTo(pi));
    }

    [Test]
    public void KfcFullAndDiagonalBlocksKeepTheirInverses()
    {
        var conv = new Conv2d(2, 3, 3, padding: 1, rng: new System.Random(181), dtype: DType.Float64);
        var x = Tensor.RandN(new Shape(2, 2, 4, 4), new System.Random(182), dtype: DType.Float64);
        var recorder = new CurvatureRecorder();
        Tensor z;
        var norm = new BatchNorm(3, dtype: DType.Float64);
        using (recorder.Activate()) z = norm.Forward(conv.Forward(x)).Reshape(2, 48);
        FisherTargets.Backpropagate(new SquaredError(), z, FisherEstimation.Exact, new Kfac.Sampling.RandomStream(183), recorder, retainGraph: false);
        var convCapture = recorder.Captures.Single(c => c.Tag is ConvTag);
        var normCapture = recorder.Captures.Single(c => c.Tag is BatchNormTag);
        var blocks = new (CurvatureBlock Block, LayerCapture Capture)[]
        {
            (new KfcBlock((ConvTag)convCapture.Tag), convCapture),
            (new FullBlock(normCapture.Tag), normCapture),
            (new DiagonalBlock(normCapture.Tag), normCapture),
        };
        foreach (var (block, capture) in blocks)
        {
            var tag = capture.Tag;
            block.UpdateStatistics([capture], 0.95);
            var v = tag.Parameters.Select(t => Tensor.RandN(t.Shape, new System.Random(184), dtype: DType.Float64)).ToArray();
            double[] Apply() => ApplyInverse(block, v);
            block.RefreshInverse(0.2);
            var kept = Apply();
            Assert.That(block.KeepInverse(), Is.True, block.Description);
            block.RefreshInverse(2);
            Assert.That(Apply(), Is.Not.EqualTo(kept), block.Description);
            block.RestoreKeptInverse();
            Assert.That(Apply(), Is.EqualTo(kept), block.Description);
        }
    }

    [Test]
    public void BlocksWithoutSupportOrInverseDeclineAndRestoreWithoutKeepThrows()
    {
        var net = Network([3, 4, 2], Activation.Sigmoid, seed: 191);
        var chain = new TridiagonalChain([((Dense)net[0]).Tag, ((Dense)net[2]).Tag]);
        Assert.That(chain.KeepInverse(), Is.False, "the tridiagonal chain recomputes instead");
        var block = new KroneckerFactoredBlock(((Dense)net[0]).Tag);
        Assert.That(block.KeepInverse(), Is.False, "no inverse yet");
        Assert.That(() => block.RestoreKeptInverse(), Throws.InvalidOperationException.With.Message.Contain("KeepInverse"));
    }
}

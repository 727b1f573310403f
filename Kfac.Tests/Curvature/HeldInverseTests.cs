using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Curvature;

/// <summary>
/// A block holds its cached inverse (the backend keeps it packed as a product operand) from the first product
/// after a refresh until the inverse next changes. Every path that changes it must drop the hold, or products
/// would read the old inverse. The layers here are wide enough (more than 36 rows and columns) that the products
/// take the packed path, not the thin in-place one.
/// </summary>
[NonParallelizable]
public class HeldInverseTests
{
    private static (KroneckerFactoredBlock Block, Tensor[] V, LayerCapture Capture) WideBlock(int seed)
    {
        var net = Network([45, 60, 50], Activation.Tanh, seed: seed);
        var captures = Capture(net, new SoftmaxCrossEntropy(), Inputs(80, 45, seed + 1), FisherEstimation.Exact);
        var tag = ((Dense)net[2]).Tag;
        var block = new KroneckerFactoredBlock(tag);
        block.UpdateStatistics([captures[1]], 0.95);
        var rng = new System.Random(seed + 2);
        var v = tag.Parameters.Select(t => Tensor.RandN(t.Shape, rng, dtype: DType.Float64)).ToArray();
        return (block, v, captures[1]);
    }

    /// <summary>m random 40-feature inputs with uniformly random labels among 10 classes (one-hot).</summary>
    private static (Tensor X, Tensor T) RandomClassification(int m, int seed)
    {
        var rng = new System.Random(seed);
        var x = Tensor.RandN(new Shape(m, 40), rng);
        var labels = Enumerable.Range(0, m).Select(_ => rng.Next(10)).ToArray();
        return (x, SoftmaxOps.OneHot(labels, 10));
    }

    /// <summary>The same statistics in a block that never held anything: the reference product at gamma.</summary>
    private static double[] Fresh(LayerCapture capture, Tensor[] v, double gamma)
    {
        var block = new KroneckerFactoredBlock((DenseTag)capture.Tag);
        block.UpdateStatistics([capture], 0.95);
        block.RefreshInverse(gamma);
        return ApplyInverse(block, v);
    }

    [Test]
    public void ARefreshReplacesTheHeldInverse()
    {
        var (block, v, capture) = WideBlock(301);
        block.RefreshInverse(0.5);
        var first = ApplyInverse(block, v);
        Assert.That(ApplyInverse(block, v), Is.EqualTo(first), "a second product reads the held inverse");
        block.RefreshInverse(4);
        var second = ApplyInverse(block, v);
        Assert.That(RelativeError(second, first), Is.GreaterThan(1e-3));
        Assert.That(second, Is.EqualTo(Fresh(capture, v, 4)));
    }

    [Test]
    public void RestoringAKeptInverseReplacesTheHeldOne()
    {
        var (block, v, capture) = WideBlock(311);
        block.RefreshInverse(0.5);
        var atHalf = ApplyInverse(block, v);
        Assert.That(block.KeepInverse(), Is.True);
        block.RefreshInverse(4);
        Assert.That(ApplyInverse(block, v), Is.EqualTo(Fresh(capture, v, 4)));
        block.RestoreKeptInverse();
        Assert.That(ApplyInverse(block, v), Is.EqualTo(atHalf));
    }

    [Test]
    public void ResetStatisticsDropsTheHold()
    {
        var (block, v, capture) = WideBlock(321);
        block.RefreshInverse(0.5);
        ApplyInverse(block, v);
        block.ResetStatistics();
        block.UpdateStatistics([capture], 0.95);
        block.RefreshInverse(2);
        Assert.That(ApplyInverse(block, v), Is.EqualTo(Fresh(capture, v, 2)));
    }

    /// <summary>End to end: 25 K-FAC steps (inverse refreshes, a gamma trial that keeps and restores inverses, held
    /// weights in every step) give bit-identical weights with the packed-operand cache on and off: the cached panels
    /// have the per-call layout, and nothing cached ever goes stale.</summary>
    [Test]
    public void TrainingIsBitIdenticalWithAndWithoutTheOperandCache()
    {
        var (x, t) = RandomClassification(96, 341);
        float[][] Train(bool cache)
        {
            bool saved = Kfac.Cpu.Blas.PackedOperandCache.Disabled;
            Kfac.Cpu.Blas.PackedOperandCache.Disabled = !cache;
            try
            {
                var net = new Sequential(new Dense(40, 64, rng: new System.Random(342)), new Tanh(), new Dense(64, 48, rng: new System.Random(343)),
                    new Tanh(), new Dense(48, 10, rng: new System.Random(344)));
                var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(),
                    new KfacOptions { InitialLambda = 1, InverseInterval = 5, GammaInterval = 10, QuadraticModelFraction = 0.5, StatisticsFraction = 0.5 });
                for (int s = 0; s < 25; s++)
                    using (TensorScope.Begin()) Assert.That(kfac.Step(net.Forward, x, t).Rejected, Is.False);
                return net.Parameters().Select(p => p.ToArray<float>()).ToArray();
            }
            finally
            {
                Kfac.Cpu.Blas.PackedOperandCache.Disabled = saved;
            }
        }
        var with = Train(cache: true);
        var without = Train(cache: false);
        for (int i = 0; i < with.Length; i++) Assert.That(with[i], Is.EqualTo(without[i]), $"parameter {i}");
    }

    /// <summary>An optimizer that has been stepping (its blocks hold their inverses) imports another run's state: the
    /// imported inverses must be the ones used, so both continue identically.</summary>
    [Test]
    public void ImportingStateIntoARunningOptimizerReplacesItsHeldInverses()
    {
        var (x, t) = RandomClassification(64, 331);
        Sequential Net() => new(new Dense(40, 48, rng: new System.Random(332)), new Tanh(), new Dense(48, 10, rng: new System.Random(333)));
        var options = new KfacOptions { InitialLambda = 1, InverseInterval = 100, GammaInterval = 100, GammaRule = GammaRule.Fixed };
        var netA = Net();
        var a = new KfacOptimizer(netA.Parameters(), new SoftmaxCrossEntropy(), options);
        var netB = Net();
        var b = new KfacOptimizer(netB.Parameters(), new SoftmaxCrossEntropy(), options with { InitialLambda = 30 });
        for (int s = 0; s < 3; s++)
        {
            using (TensorScope.Begin()) a.Step(netA.Forward, x, t);
            using (TensorScope.Begin()) b.Step(netB.Forward, x * 0.5, t);
        }
        using (var state = a.ExportState()) b.ImportState(state);
        for (int i = 0; i < netA.Parameters().Count; i++) netA.Parameters()[i].Backend.Copy(netA.Parameters()[i], netB.Parameters()[i]);
        KfacStepResult ra, rb;
        using (TensorScope.Begin()) ra = a.Step(netA.Forward, x, t);
        using (TensorScope.Begin()) rb = b.Step(netB.Forward, x, t);
        Assert.That(rb.Alpha, Is.EqualTo(ra.Alpha));
        Assert.That(rb.Mu, Is.EqualTo(ra.Mu));
        for (int i = 0; i < netA.Parameters().Count; i++)
            Assert.That(netB.Parameters()[i].ToArray<float>(), Is.EqualTo(netA.Parameters()[i].ToArray<float>()), $"parameter {i}");
    }
}

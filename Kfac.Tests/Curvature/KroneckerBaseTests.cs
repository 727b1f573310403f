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
/// The dense and KFC blocks share one <see cref="KroneckerBlock"/> (damping, inverses, products, state), and every
/// block kind saves and restores itself through the <see cref="CurvatureBlock"/> contract the optimizer's checkpoint
/// import uses (<see cref="CurvatureBlock.StateTensors"/>, <see cref="CurvatureBlock.StateScalars"/>,
/// <see cref="CurvatureBlock.LoadState"/>).
/// </summary>
public class KroneckerBaseTests
{
    private const int M = 5, Cin = 3, Cout = 4;

    /// <summary>
    /// A 1x1 convolution on a 1x1 image is a dense layer: T = 1, the patch of example i is [x_i; 1] and its output
    /// gradient is g_i, so KFC's Ahat = (1/m) sum abar abar^T and Ghat = (1/m) sum g g^T (Grosse &amp; Martens 2016,
    /// eqs. 23-24) are the dense factors of Martens &amp; Grosse 2015, section 3. Fed the same numbers (two EMA updates,
    /// two backward passes each), the KFC and dense blocks must agree on the factors, on pi, on the damped inverses
    /// and on every damped power, in both damping styles. The factors, pi and the inverse are also checked against
    /// host-side double algebra here, so the agreement is not of two identical wrong answers.
    /// </summary>
    [TestCase(DampingStyle.FactoredTikhonov)]
    [TestCase(DampingStyle.Eigenbasis)]
    public void OneByOneConvolutionOnOneByOneImageIsTheDenseBlock(DampingStyle damping)
    {
        var rng = new System.Random(11);
        var weight = Tensor.RandN(new Shape(Cout, Cin), rng, dtype: DType.Float64);
        var kernel = Tensor.FromArray(weight.ToArray<double>(), Cout, Cin, 1, 1);
        var bias = Tensor.RandN(new Shape(Cout), rng, dtype: DType.Float64);
        var denseTag = new DenseTag(() => weight, () => bias, Cin, Cout);
        var convTag = new ConvTag(() => kernel, () => bias, Cin, Cout, (1, 1), (1, 1), (0, 0));
        var dense = new KroneckerFactoredBlock(denseTag, damping);
        var kfc = new KfcBlock(convTag, damping);

        var batches = new[] { Batch(rng), Batch(rng) };
        foreach (var (x, passes) in batches)
        {
            dense.UpdateStatistics([DenseCapture(denseTag, x, passes)], 0.9);
            kfc.UpdateStatistics([ConvCapture(convTag, x, passes)], 0.9);
        }
        Assert.That(kfc.Locations, Is.EqualTo(1));

        // The factors by definition: EMA with eps = min(1 - 1/k, 0.9): k = 1 replaces, k = 2 mixes half and half.
        int dIn = Cin + 1;
        var expectedA = new double[dIn * dIn];
        var expectedG = new double[Cout * Cout];
        foreach (var (x, passes) in batches)
        {
            var xs = x.ToArray<double>();
            for (int i = 0; i < M; i++)
            {
                var abar = new double[dIn];
                Array.Copy(xs, i * Cin, abar, 0, Cin);
                abar[Cin] = 1;
                for (int r = 0; r < dIn; r++)
                    for (int c = 0; c < dIn; c++) expectedA[r * dIn + c] += 0.5 * abar[r] * abar[c] / M;
                foreach (var pass in passes)
                {
                    var gs = pass.ToArray<double>();
                    // g = m dMeanLoss/ds: the captured rows are the mean loss's gradients.
                    for (int r = 0; r < Cout; r++)
                        for (int c = 0; c < Cout; c++) expectedG[r * Cout + c] += 0.5 * M * gs[i * Cout + r] * M * gs[i * Cout + c] / M;
                }
            }
        }
        Assert.That(RelativeError(dense.InputFactor.ToArray<double>(), expectedA), Is.LessThan(1e-13), "dense A");
        Assert.That(RelativeError(kfc.InputFactor.ToArray<double>(), expectedA), Is.LessThan(1e-13), "KFC Ahat");
        Assert.That(RelativeError(dense.OutputFactor.ToArray<double>(), expectedG), Is.LessThan(1e-13), "dense G");
        Assert.That(RelativeError(kfc.OutputFactor.ToArray<double>(), expectedG), Is.LessThan(1e-13), "KFC Ghat");

        const double gamma = 0.2;
        dense.RefreshInverse(gamma);
        kfc.RefreshInverse(gamma);
        if (damping == DampingStyle.FactoredTikhonov)
        {
            double pi = FactoredDamping.Pi(Trace(expectedA, dIn), dIn, Trace(expectedG, Cout), Cout);
            Assert.That(dense.Pi, Is.EqualTo(pi).Within(1e-12 * pi));
            Assert.That(kfc.Pi, Is.EqualTo(pi).Within(1e-12 * pi));
            var aInverse = Inverse(AddIdentity(expectedA, dIn, pi * gamma), dIn);
            var gInverse = Inverse(AddIdentity(expectedG, Cout, gamma / pi), Cout);
            Assert.That(RelativeError(dense.InputFactorInverse.ToArray<double>(), aInverse), Is.LessThan(1e-10), "dense (A + pi gamma I)^-1");
            Assert.That(RelativeError(kfc.InputFactorInverse.ToArray<double>(), aInverse), Is.LessThan(1e-10), "KFC (T Ahat + pi gamma I)^-1");
            Assert.That(RelativeError(kfc.OutputFactorInverse.ToArray<double>(), gInverse), Is.LessThan(1e-10), "KFC (Ghat + gamma/pi I)^-1");
        }

        var powers = damping == DampingStyle.Eigenbasis ? new[] { -1.0, 1.0, -0.5 } : [-1.0, 1.0];
        foreach (double power in powers)
        {
            var v = new[] { Tensor.RandN(new Shape(Cout, Cin), rng, dtype: DType.Float64), Tensor.RandN(new Shape(Cout), rng, dtype: DType.Float64) };
            var vConv = new[] { Tensor.FromArray(v[0].ToArray<double>(), Cout, Cin, 1, 1), v[1] };
            var denseResult = v.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
            var kfcResult = vConv.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
            dense.MultiplyByDampedPower(v, denseResult, power, scale: -2);
            kfc.MultiplyByDampedPower(vConv, kfcResult, power, scale: -2);
            var d = ExactCurvature.Flatten(denseResult);
            Assert.That(RelativeError(ExactCurvature.Flatten(kfcResult), d), Is.LessThan(1e-12), $"power {power}");
            Assert.That(d.Select(Math.Abs).Max(), Is.GreaterThan(1e-3), "a non-trivial product");
        }
    }

    /// <summary>Every block kind, exported through <see cref="CurvatureBlock.StateTensors"/> and
    /// <see cref="CurvatureBlock.StateScalars"/> and loaded into a fresh block of the same layers with
    /// <see cref="CurvatureBlock.LoadState"/>, precondition (power -1) and multiply (power +1) exactly as the original.
    /// The statistics are updated once more after the refresh, so the saved statistics are not what the inverse
    /// was computed from (the chain must rebuild its inverse from its saved snapshot, not from the statistics).</summary>
    [TestCase("dense")]
    [TestCase("kfc")]
    [TestCase("full")]
    [TestCase("diagonal")]
    [TestCase("tridiagonal")]
    [TestCase("dense-eigenbasis")]
    [TestCase("kfc-eigenbasis")]
    public void StateRoundTripsThroughTheBlockContract(string kind)
    {
        var (make, batches) = Fixture(kind);
        var original = make();
        original.UpdateStatistics(batches[0], 0.95);
        original.UpdateStatistics(batches[1], 0.95);
        original.RefreshInverse(0.3);
        original.UpdateStatistics(batches[2], 0.95);

        var tensors = original.StateTensors().ToDictionary(s => s.Name, s => s.Value.Clone());
        var scalars = original.StateScalars().ToDictionary(s => s.Name, s => s.Value);
        Assert.That(tensors, Is.Not.Empty);
        var fresh = make();
        fresh.LoadState((name, _) => tensors[name], name => scalars[name]);

        Assert.That(fresh.UpdateCount, Is.EqualTo(3));
        foreach (var (name, value) in fresh.StateTensors())
            Assert.That(value.ToArray<double>(), Is.EqualTo(tensors[name].ToArray<double>()), name);

        if (kind.EndsWith("eigenbasis", StringComparison.Ordinal))
        {
            // The eigendecomposition is not saved: the loaded block has statistics but no inverse (the optimizer then
            // refreshes before preconditioning). Refreshing both from the same statistics gives the same block.
            Assert.That(fresh.HasInverse, Is.False, "no stale decomposition after a load");
            original.RefreshInverse(0.3);
            fresh.RefreshInverse(0.3);
        }
        else Assert.That(fresh.StateScalars().ToDictionary(s => s.Name, s => s.Value), Is.EquivalentTo(scalars), "scalars");
        var rng = new System.Random(5);
        foreach (double power in new[] { -1.0, 1.0 })
        {
            var v = original.Parameters.Select(p => Tensor.RandN(p.Shape, rng, dtype: DType.Float64)).ToArray();
            var expected = v.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
            var actual = v.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
            original.MultiplyByDampedPower(v, expected, power);
            fresh.MultiplyByDampedPower(v, actual, power);
            Assert.That(ExactCurvature.Flatten(actual), Is.EqualTo(ExactCurvature.Flatten(expected)), $"power {power}");
        }
    }

    /// <summary>K-FAC with eigenbasis damping resumes from a checkpoint taken between inverse refreshes: the loaded
    /// blocks hold statistics but no decomposition, so the first resumed step refreshes them (before, they claimed an
    /// inverse whose decomposition was never loaded, and preconditioning dereferenced it). The resumed run then trains
    /// on without rejections, and its blocks' damped inverses are those of a refresh at the optimizer's gamma.</summary>
    [Test]
    public void EigenbasisKfacResumesFromACheckpoint()
    {
        var rng = new System.Random(3);
        var x = Tensor.RandN(new Shape(64, 5), rng);
        var t = SoftmaxOps.OneHot(Enumerable.Range(0, 64).Select(i => i % 3).ToArray(), 3);
        Sequential Net() => new(new Dense(5, 7, rng: new System.Random(1)), new Sigmoid(), new Dense(7, 3, rng: new System.Random(2)));
        var options = new KfacOptions { InitialLambda = 1, InverseInterval = 3, Damping = DampingStyle.Eigenbasis };
        var a = Net();
        var kfacA = new KfacOptimizer(a.Parameters(), new SoftmaxCrossEntropy(), options);
        for (int s = 0; s < 5; s++) using (TensorScope.Begin()) kfacA.Step(a.Forward, x, t);
        using var saved = kfacA.ExportState();

        var b = Net();
        b.LoadStateDict(a.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone()));
        var kfacB = new KfacOptimizer(b.Parameters(), new SoftmaxCrossEntropy(), options);
        kfacB.ImportState(saved);
        var results = new List<KfacStepResult>();
        for (int s = 0; s < 4; s++) using (TensorScope.Begin()) results.Add(kfacB.Step(b.Forward, x, t));
        Assert.That(results.Where(r => r.Rejected), Is.Empty, string.Join("; ", results.Select(r => r.RejectionReason)));
        Assert.That(results[^1].Loss, Is.LessThan(results[0].Loss));
        foreach (var block in kfacB.Blocks) Assert.That(block.HasInverse, Is.True, block.Description);
    }

    /// <summary>A state tensor of the wrong shape is refused with the block, the entry and both shapes named.</summary>
    [Test]
    public void LoadStateRefusesAWrongShape()
    {
        var (make, batches) = Fixture("kfc");
        var block = make();
        block.UpdateStatistics(batches[0], 0.95);
        var ex = Assert.Throws<ShapeMismatchException>(() =>
            make().LoadState((name, shape) => name == "G" ? Tensor.Zeros(new Shape(2, 2), DType.Float64) : Tensor.Zeros(shape, DType.Float64), _ => 1));
        Assert.That(ex!.Message, Does.Contain("'G'").And.Contain("[2, 2]").And.Contain("KFC"));
    }

    /// <summary>A factory of fresh blocks of one kind over one network's layers, and three batches of their captures.</summary>
    private static (Func<CurvatureBlock> Make, IReadOnlyList<LayerCapture>[] Batches) Fixture(string kind)
    {
        if (kind == "tridiagonal")
        {
            var chain = Network([3, 4, 3, 2], Activation.Tanh, seed: 21);
            var chainBatches = Enumerable.Range(0, 3)
                .Select(s => Capture(chain, new SoftmaxCrossEntropy(), Inputs(6, 3, seed: 30 + s), FisherEstimation.Exact)).ToArray();
            var tags = chainBatches[0].Select(c => (DenseTag)c.Tag).ToList();
            return (() => new TridiagonalChain(tags), chainBatches);
        }
        var conv = new Conv2d(2, 3, (3, 3), (1, 1), (1, 1), true, Initializer.GlorotNormal, new System.Random(22), DType.Float64);
        var bn = new BatchNorm(3, dtype: DType.Float64);
        var head = new Dense(3 * 16, 3, rng: new System.Random(23), init: Initializer.GlorotNormal, dtype: DType.Float64);
        var net = new Sequential(conv, bn, new Tanh(), new Flatten(), head);
        var batches = Enumerable.Range(0, 3).Select(s =>
            Capture(net, new SoftmaxCrossEntropy(), Tensor.RandN(new Shape(4, 2, 4, 4), new System.Random(40 + s), dtype: DType.Float64), FisherEstimation.Exact)).ToArray();
        IReadOnlyList<LayerCapture>[] Of<T>() => batches.Select(b => (IReadOnlyList<LayerCapture>)[b.Single(c => c.Tag is T)]).ToArray();
        return kind switch
        {
            "dense" => (() => new KroneckerFactoredBlock(head.Tag), Of<DenseTag>()),
            "dense-eigenbasis" => (() => new KroneckerFactoredBlock(head.Tag, DampingStyle.Eigenbasis), Of<DenseTag>()),
            "kfc" => (() => new KfcBlock(conv.Tag), Of<ConvTag>()),
            "kfc-eigenbasis" => (() => new KfcBlock(conv.Tag, DampingStyle.Eigenbasis), Of<ConvTag>()),
            "full" => (() => new FullBlock(bn.Tag!), Of<BatchNormTag>()),
            "diagonal" => (() => new DiagonalBlock(bn.Tag!), Of<BatchNormTag>()),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown block kind"),
        };
    }

    private static (Tensor X, Tensor[] Passes) Batch(System.Random rng) =>
        (Tensor.RandN(new Shape(M, Cin), rng, dtype: DType.Float64),
         [Tensor.RandN(new Shape(M, Cout), rng, dtype: DType.Float64, std: 0.3), Tensor.RandN(new Shape(M, Cout), rng, dtype: DType.Float64, std: 0.3)]);

    private static LayerCapture DenseCapture(DenseTag tag, Tensor x, Tensor[] passes)
    {
        var capture = new LayerCapture(tag, x, Tensor.Zeros(new Shape(M, Cout), DType.Float64));
        foreach (var p in passes) capture.AddOutputGradient(p);
        return capture;
    }

    /// <summary>The same numbers as a [m, C, 1, 1] image batch.</summary>
    private static LayerCapture ConvCapture(ConvTag tag, Tensor x, Tensor[] passes)
    {
        var capture = new LayerCapture(tag, Tensor.FromArray(x.ToArray<double>(), M, Cin, 1, 1), Tensor.Zeros(new Shape(M, Cout, 1, 1), DType.Float64));
        foreach (var p in passes) capture.AddOutputGradient(Tensor.FromArray(p.ToArray<double>(), M, Cout, 1, 1));
        return capture;
    }

    private static double Trace(double[] a, int n) => Enumerable.Range(0, n).Sum(i => a[i * n + i]);
}

using Kfac.Autodiff;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Autodiff;

public class AutodiffSemanticsTests
{
    private static Tensor Param(double[] values, params int[] shape)
    {
        var t = Tensor.FromArray(values, shape);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var w = Param([1.0, 2.0, 3.0], 3);
        (w * w).Sum().Backward();
        (w * w).Sum().Backward();
        Assert.That(w.Grad!.ToArray<double>(), Is.EqualTo(new[] { 4.0, 8.0, 12.0 }));
    }

    [Test]
    public void SecondBackwardThroughFreedGraphThrows()
    {
        var w = Param([1.0, 2.0], 2);
        var loss = (w * w).Sum();
        loss.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(e!.Message, Does.Contain("retainGraph"));
    }

    [Test]
    public void RetainedGraphAllowsSecondBackward()
    {
        var w = Param([1.0, 2.0], 2);
        var loss = (w * w).Sum();
        loss.Backward(retainGraph: true);
        loss.Backward();
        Assert.That(w.Grad!.ToArray<double>(), Is.EqualTo(new[] { 4.0, 8.0 }));
    }

    [Test]
    public void ActivationOnlyPassLeavesParameterGradientsAloneButFeedsHooks()
    {
        var x = Tensor.FromArray(new[] { 1.0, -1.0, 2.0, 0.5 }, 2, 2);
        var w = Param([0.5, -0.25, 1.0, 2.0], 2, 2);
        var s = x.MatMul(w, transOther: true);
        Tensor? seen = null;
        s.RegisterGradHook(g => seen = g.Clone());
        var loss = s.Tanh().Sum();
        loss.Backward(new BackwardOptions { AccumulateLeafGradients = false, RetainGraph = true });
        Assert.That(w.Grad, Is.Null);
        Assert.That(seen, Is.Not.Null);
        // dLoss/ds = 1 - tanh(s)^2
        var sv = s.ToArray<double>();
        var g = seen!.ToArray<double>();
        for (int i = 0; i < 4; i++) Assert.That(g[i], Is.EqualTo(1 - Math.Pow(Math.Tanh(sv[i]), 2)).Within(1e-12));
        loss.Backward();
        Assert.That(w.Grad, Is.Not.Null);
    }

    [Test]
    public void RetainGradKeepsNonLeafGradient()
    {
        var w = Param([1.0, 2.0], 2);
        var y = w * 3.0;
        y.RetainGrad();
        y.Square().Sum().Backward();
        Assert.That(y.Grad!.ToArray<double>(), Is.EqualTo(new[] { 6.0, 12.0 }));
    }

    [Test]
    public void NoGradModeRecordsNothing()
    {
        var w = Param([1.0, 2.0], 2);
        Tensor y;
        using (GradMode.Disable()) y = w * w;
        Assert.That(y.RequiresGrad, Is.False);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Test]
    public void BackwardOnNonScalarNeedsGradOutput()
    {
        var w = Param([1.0, 2.0], 2);
        var e = Assert.Throws<ArgumentException>(() => (w * w).Backward());
        Assert.That(e!.Message, Does.Contain("[2]"));
    }

    [Test]
    public void ScopeReturnsBuffersAndDisposesIntermediates()
    {
        var w = Param([1.0, 2.0], 2);
        Tensor inner;
        using (TensorScope.Begin())
        {
            inner = w * w;
            inner.Sum().Backward();
        }
        Assert.That(inner.IsDisposed, Is.True);
        Assert.That(w.IsDisposed, Is.False);
        Assert.That(w.Grad!.IsDisposed, Is.False, "leaf gradients outlive the step scope");
        Assert.Throws<ObjectDisposedException>(() => inner.ToArray<double>());
    }

    [Test]
    public void MoveToOuterScopeKeepsResult()
    {
        Tensor kept;
        using (TensorScope.Begin())
        {
            kept = (Tensor.Ones(new Shape(2)) * 2.0).MoveToOuterScope();
        }
        Assert.That(kept.ToArray<float>(), Is.EqualTo(new[] { 2f, 2f }));
    }

    [Test]
    public void ShapeErrorsNameBothShapes()
    {
        var a = Tensor.Zeros(new Shape(3, 4));
        var b = Tensor.Zeros(new Shape(5, 6));
        var e = Assert.Throws<ShapeMismatchException>(() => a.MatMul(b));
        Assert.That(e!.Message, Does.Contain("[3, 4]").And.Contain("[5, 6]"));
        var e2 = Assert.Throws<ShapeMismatchException>(() => _ = a + Tensor.Zeros(new Shape(3, 5)));
        Assert.That(e2!.Message, Does.Contain("[3, 4]").And.Contain("[3, 5]").And.Contain("'b'"));
        var e3 = Assert.Throws<ShapeMismatchException>(() => a.Reshape(5, -1));
        Assert.That(e3!.Message, Does.Contain("[3, 4]"));
    }

    [Test]
    public void MixedDTypesAreRejected()
    {
        var a = Tensor.Zeros(new Shape(2), DType.Float32);
        var b = Tensor.Zeros(new Shape(2), DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => _ = a + b);
        Assert.That(e!.Message, Does.Contain("Float32").And.Contain("Float64"));
    }

    [Test]
    public void GradCheckDetectsAWrongBackwardRule()
    {
        var x = Tensor.RandN(new Shape(3), new System.Random(1), dtype: DType.Float64);
        var result = GradCheck.Run(v => WrongSquare.Apply(v[0]), [x]);
        Assert.That(result.MaxGradientError, Is.GreaterThan(0.1));
        Assert.That(result.MaxJvpError, Is.LessThan(1e-6), "the forward rule of WrongSquare is right");
    }

    /// <summary>y = x^2 with the backward rule deliberately 3x instead of 2x.</summary>
    private sealed class WrongSquare(Tensor x) : Node("WrongSquare", x)
    {
        public static Tensor Apply(Tensor x)
        {
            var y = x.Square();
            if (GradMode.IsEnabled && x.RequiresGrad)
            {
                var detached = y.Detach();
                detached.MarkRequiresGrad(new WrongSquare(x));
                detached.Tangent = y.Tangent;
                return detached;
            }
            return y;
        }

        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => t[0]! * x * 2.0;

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            var g = dy * x * 3.0;
            dx.Backend.Axpby(1, g, acc ? 1 : 0, dx);
        }
    }
}

public class ReplayTests
{
    [Test]
    public void ReplayOverATrainedNetworksGraphEqualsEagerForwardMode()
    {
        var net = Kfac.Layers.Models.DeepAutoencoder.Create([12, 8, 5, 3], seed: 4, dtype: DType.Float64);
        var ps = net.Parameters();
        var x = Tensor.Rand(new Shape(7, 12), new System.Random(5), dtype: DType.Float64);
        var v = ps.Select(p => Tensor.RandN(p.Shape, new System.Random(6), dtype: DType.Float64)).ToArray();
        using var scope = TensorScope.Begin();
        var z = net.Forward(x);
        new Kfac.Losses.SigmoidCrossEntropy().Value(z, x).Backward(); // the graph has been used and released
        var replayed = ForwardMode.Replay(z, ps, v).ToArray<double>();
        Tensor eager;
        using (GradMode.Disable()) eager = ForwardMode.Jvp(() => net.Forward(x), ps, v).Tangent!;
        var e = eager.ToArray<double>();
        for (int i = 0; i < e.Length; i++) Assert.That(replayed[i], Is.EqualTo(e[i]).Within(1e-12 * Math.Max(1, Math.Abs(e[i]))));
    }

    [Test]
    public void ReplayNeedsTheOutputToDependOnThePrimals()
    {
        var w = Tensor.Ones(new Shape(2), DType.Float64);
        w.RequiresGrad = true;
        var other = Tensor.Ones(new Shape(2), DType.Float64);
        var y = w * 2.0;
        Assert.That(() => ForwardMode.Replay(y, [other], [Tensor.Ones(new Shape(2), DType.Float64)]), Throws.InvalidOperationException);
    }
}

using Kfac.Autodiff;
using Kfac.Optim;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

public class OptimizerBehaviourTests
{
    private static Tensor Param(params double[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>Least squares 0.5 |M x - y|^2 through the real autodiff; returns the distance to the solution.</summary>
    private static double SolveLeastSquares(Func<Tensor, Optimizer> create, int steps)
    {
        double[] m = [2, 0.5, 0, 0.3, 1, 0.2, 0, -0.4, 1.5, 1, 1, 1];
        double[] y = [1, -2, 0.5, 3];
        var mt = Tensor.FromArray(m, 4, 3);
        var yt = Tensor.FromArray(y, 4, 1);
        var x = Tensor.Zeros(new Shape(3, 1), DType.Float64);
        x.RequiresGrad = true;
        using var opt = create(x);
        for (int k = 0; k < steps; k++)
        {
            opt.ZeroGrad();
            using (TensorScope.Begin())
            {
                var r = mt.MatMul(x) - yt;
                ((r * r).Sum() * 0.5).Backward();
            }
            opt.Step();
        }
        // Normal equations M^T M x = M^T y, solved by Gaussian elimination on the host.
        var a = new double[3, 4];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
                for (int r = 0; r < 4; r++) a[i, j] += m[r * 3 + i] * m[r * 3 + j];
            for (int r = 0; r < 4; r++) a[i, 3] += m[r * 3 + i] * y[r];
        }
        for (int c = 0; c < 3; c++)
            for (int r = c + 1; r < 3; r++)
            {
                double f = a[r, c] / a[c, c];
                for (int j = c; j < 4; j++) a[r, j] -= f * a[c, j];
            }
        var solution = new double[3];
        for (int r = 2; r >= 0; r--)
        {
            double s = a[r, 3];
            for (int j = r + 1; j < 3; j++) s -= a[r, j] * solution[j];
            solution[r] = s / a[r, r];
        }
        var xv = x.ToArray<double>();
        double d = 0;
        for (int i = 0; i < 3; i++) d = Math.Max(d, Math.Abs(xv[i] - solution[i]));
        return d;
    }

    [Test]
    public void ConvexQuadraticConverges()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SolveLeastSquares(x => new Sgd([x], new SgdOptions { LearningRate = 0.1 }), 400), Is.LessThan(1e-8), "SGD");
            Assert.That(SolveLeastSquares(x => new Sgd([x], new SgdOptions { LearningRate = 0.05, Momentum = 0.9, Nesterov = true }), 300), Is.LessThan(1e-8), "Nesterov");
            Assert.That(SolveLeastSquares(x =>
            {
                var o = new Adam([x], new AdamOptions { LearningRate = 0.1 });
                o.SetSchedule(new CosineSchedule(peak: 0.1, totalSteps: 600, warmupSteps: 10, initial: 0.01));
                return o;
            }, 600), Is.LessThan(1e-4), "Adam + warmup cosine");
            Assert.That(SolveLeastSquares(x =>
            {
                var o = new RmsProp([x], new RmsPropOptions { LearningRate = 0.02, Momentum = 0.5, Centered = true });
                o.SetSchedule(new CosineSchedule(peak: 0.02, totalSteps: 600));
                return o;
            }, 600), Is.LessThan(1e-3), "RMSProp + cosine");
        });
    }

    [Test]
    public void NesterovDiffersFromHeavyBallAsSpecified()
    {
        // Loss x^2 (g = 2x) from x = 1, lr 0.1, momentum 0.9.
        // Heavy ball: buf = 2, x = 0.8; g = 1.6, buf = 3.4, x = 0.46.
        // Nesterov:   buf = 2, d = 2 + 0.9 * 2 = 3.8, x = 0.62; g = 1.24, buf = 3.04, d = 1.24 + 2.736 = 3.976, x = 0.2224.
        double[] Run(bool nesterov)
        {
            var x = Param(1.0);
            using var opt = new Sgd([x], new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = nesterov });
            var xs = new double[2];
            for (int k = 0; k < 2; k++)
            {
                OptimTestProblem.SetGrad(x, [2 * x.Item()]);
                opt.Step();
                xs[k] = x.Item();
            }
            return xs;
        }
        Assert.That(Run(false), Is.EqualTo(new[] { 0.8, 0.46 }).Within(1e-15));
        Assert.That(Run(true), Is.EqualTo(new[] { 0.62, 0.2224 }).Within(1e-15));
    }

    [Test]
    public void L2AndDecoupledWeightDecayDiffer()
    {
        // Zero loss gradient, x = 2, lr 0.1, wd 0.1.
        // AdamW: Adam sees g = 0 (update 0), the decay shrinks x by (1 - lr wd): 1.98.
        // Adam (L2): Adam sees g = wd x = 0.2 and its first step is lr sign(g): 1.9.
        // SGD (L2): x - lr wd x = 1.98 (for plain SGD the two forms coincide).
        double After(Func<Tensor, Optimizer> create)
        {
            var x = Param(2.0);
            using var opt = create(x);
            OptimTestProblem.SetGrad(x, [0.0]);
            opt.Step();
            return x.Item();
        }
        Assert.That(After(x => new Adam([x], new AdamOptions { LearningRate = 0.1, WeightDecay = 0.1, DecoupledWeightDecay = true })), Is.EqualTo(1.98).Within(1e-15));
        Assert.That(After(x => new Adam([x], new AdamOptions { LearningRate = 0.1, WeightDecay = 0.1 })), Is.EqualTo(2 - 0.1 * 0.2 / (0.2 + 1e-8)).Within(1e-15));
        Assert.That(After(x => new Sgd([x], new SgdOptions { LearningRate = 0.1, WeightDecay = 0.1 })), Is.EqualTo(1.98).Within(1e-15));
    }

    [Test]
    public void ParameterGroupsUseTheirOwnOptions()
    {
        var w = Param(1.0, 2.0);
        var b = Param(3.0);
        using var opt = new Sgd(new SgdOptions { LearningRate = 0.1, WeightDecay = 0.5 },
            new(new[] { w }),
            new(new[] { b }, o => o with { LearningRate = 0.01, WeightDecay = 0 }));
        OptimTestProblem.SetGrad(w, [1.0, 1.0]);
        OptimTestProblem.SetGrad(b, [1.0]);
        opt.Step();
        // w: d = 1 + 0.5 w -> [1.5, 2]; w - 0.1 d = [0.85, 1.8].  b: 3 - 0.01 * 1 = 2.99.
        Assert.That(w.ToArray<double>(), Is.EqualTo(new[] { 0.85, 1.8 }).Within(1e-15));
        Assert.That(b.Item(), Is.EqualTo(2.99).Within(1e-15));
        Assert.That(opt.Groups[1].LearningRate, Is.EqualTo(0.01));
        Assert.That(opt.OptionsOf(1).WeightDecay, Is.EqualTo(0));
        Assert.That(opt.State.For(1, 0).FlatIndex, Is.EqualTo(1));
        Assert.That(opt.State.For(1, 0).Parameter, Is.SameAs(b));
        Assert.That(opt.Groups[1].IndexOf(b), Is.EqualTo(0));
        Assert.That(opt.Groups[0].IndexOf(b), Is.EqualTo(-1));

        opt.LearningRate = 0.2;
        Assert.That(opt.Groups.Select(g => g.LearningRate), Is.All.EqualTo(0.2));
    }

    [Test]
    public void ParametersWithoutGradientAreSkippedAndKeepTheirState()
    {
        var a = Param(1.0);
        var b = Param(1.0);
        using var opt = new Adam([a, b], new AdamOptions { LearningRate = 0.1 });
        OptimTestProblem.SetGrad(a, [1.0]);
        opt.Step();
        opt.Step();
        Assert.That(b.Item(), Is.EqualTo(1.0));
        Assert.That(opt.State.For(0, 1).Step, Is.EqualTo(0));
        Assert.That(opt.State.For(0, 0).Step, Is.EqualTo(2));
        Assert.That(opt.State.Step, Is.EqualTo(2));
        // b's first update uses its own bias correction (t = 1): a full lr-sized step.
        OptimTestProblem.SetGrad(b, [4.0]);
        opt.Step();
        Assert.That(b.Item(), Is.EqualTo(1 - 0.1 * 4 / (4 + 1e-8)).Within(1e-15));
    }

    [Test]
    public void ZeroGradZeroFillsAndKeepsBuffers()
    {
        var a = Param(1.0, 2.0);
        var b = Param(3.0);
        using var opt = new Sgd([a, b], new SgdOptions { LearningRate = 0.1, Momentum = 0.9 });
        OptimTestProblem.SetGrad(a, [1.0, -1.0]);
        var grad = a.Grad;
        opt.Step();
        var buffer = opt.State.For(0, 0).Buffer("momentum_buffer");
        opt.ZeroGrad();
        Assert.That(a.Grad, Is.SameAs(grad));
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(new[] { 0.0, 0.0 }));
        Assert.That(b.Grad, Is.Null);
        Assert.That(opt.State.For(0, 0).Buffer("momentum_buffer"), Is.SameAs(buffer));
        Assert.That(buffer.ToArray<double>(), Is.EqualTo(new[] { 1.0, -1.0 }));
    }

    [Test]
    public void NonFiniteGradientsAreDetected()
    {
        var a = Param(1.0, 2.0);
        var b = Param(3.0);
        using var opt = new Sgd([a, b], new SgdOptions { LearningRate = 0.1 });
        Assert.That(opt.GradientsAreFinite(), Is.True, "no gradients at all");
        OptimTestProblem.SetGrad(a, [1.0, 2.0]);
        OptimTestProblem.SetGrad(b, [double.NaN]);
        Assert.That(opt.GradientsAreFinite(), Is.False);
        OptimTestProblem.SetGrad(b, [double.NegativeInfinity]);
        Assert.That(opt.GradientsAreFinite(), Is.False);
        OptimTestProblem.SetGrad(b, [0.5]);
        Assert.That(opt.GradientsAreFinite(), Is.True);
    }

    [Test]
    public void ClipGradientNormScalesLikePyTorch()
    {
        var a = Param(0.0, 0.0);
        var b = Param(0.0);
        using var opt = new Sgd([a, b], new SgdOptions());
        OptimTestProblem.SetGrad(a, [3.0, 0.0]);
        OptimTestProblem.SetGrad(b, [4.0]);
        Assert.That(opt.ClipGradientNorm(10), Is.EqualTo(5.0).Within(1e-15));
        Assert.That(b.Grad!.Item(), Is.EqualTo(4.0), "below the limit: untouched");
        Assert.That(opt.ClipGradientNorm(1), Is.EqualTo(5.0).Within(1e-15));
        double f = 1 / (5 + 1e-6);
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(new[] { 3 * f, 0 }).Within(1e-15));
        Assert.That(b.Grad.Item(), Is.EqualTo(4 * f).Within(1e-15));
    }

    [Test]
    public void ParametersAreCheckedWhenTheOptimizerIsBuilt()
    {
        var a = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new Sgd(new SgdOptions(), new(new[] { a }), new(new[] { a })));
        Assert.That(e!.Message, Does.Contain("group 0").And.Contain("group 1"));
        var frozen = Tensor.FromArray([1.0], 1);
        Assert.Throws<ArgumentException>(() => new Sgd([frozen], new SgdOptions()));
        Assert.Throws<ArgumentException>(() => new Sgd(new SgdOptions()));
    }

    [Test]
    public void ScheduleSetsTheLearningRateOfEachStepCountingFromZero()
    {
        var x = Param(0.0);
        using var opt = new Sgd([x], new SgdOptions { LearningRate = 123 });
        opt.SetSchedule(new StepDecaySchedule(initial: 1.0, stepSize: 2, gamma: 0.5));
        OptimTestProblem.SetGrad(x, [-1.0]);
        var deltas = new List<double>();
        for (int k = 0; k < 5; k++)
        {
            double before = x.Item();
            opt.Step();
            deltas.Add(x.Item() - before);
        }
        Assert.That(deltas, Is.EqualTo(new[] { 1.0, 1.0, 0.5, 0.5, 0.25 }));
        Assert.That(opt.LearningRate, Is.EqualTo(0.25));

        opt.SetSchedule(new LambdaSchedule(_ => -1));
        Assert.Throws<InvalidOperationException>(opt.Step);
    }

    [Test]
    public void LearningRateSetterRejectsNegativeValues()
    {
        using var opt = new Sgd([Param(1.0)], new SgdOptions());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => opt.LearningRate = -0.5);
        Assert.That(e!.ParamName, Is.EqualTo("LearningRate"));
        Assert.That(e.Message, Does.Contain("-0.5"));
    }

    /// <summary>A stand-in for a K-FAC preconditioner: multiplies updates by a fixed diagonal, keeps a global
    /// statistic tensor and scalar in the optimizer state, and rescales the step size like a trust region.</summary>
    private sealed class DiagonalPreconditioner(double[] diagonal, double stepScale = 1) : IGradientTransform
    {
        private Tensor? _diag;
        public int Imports;

        public void Init(ParameterGroup group, OptimizerState state)
        {
            _diag = Tensor.FromArray(diagonal, diagonal.Length);
            state.AddTensor("precond.diag", _diag);
            state.AddScalar("precond.calls", 0);
        }

        public void Apply(UpdateContext context)
        {
            foreach (int i in context.Active)
            {
                var u = context.Update(i);
                u.Backend.Binary(BinaryOp.Mul, u, _diag!, u, new BroadcastLayout(1, u.Numel, 1, BroadcastSide.None), false);
            }
            context.StepSize *= stepScale;
            context.State.SetScalar("precond.calls", context.State.GetScalar("precond.calls") + 1);
        }

        public void OnStateImported(ParameterGroup group, OptimizerState state) => Imports++;
    }

    [Test]
    public void CustomPreconditionerComposesWithMomentumAndSchedules()
    {
        // Preconditioner P = diag(2, 4) with heavy-ball momentum: buf_k = mu buf + P g, x -= lr buf,
        // against the same recursion written out by hand.
        var x = Param(1.0, -1.0);
        var precond = new DiagonalPreconditioner([2, 4], stepScale: 0.5);
        using var opt = new ChainOptimizer([x], new OptimizerOptions { LearningRate = 0.1 },
            _ => [new AddWeightDecay(0.1), precond, new Momentum(0.9)]);
        opt.SetSchedule(new ExponentialDecaySchedule(0.1, 0.5));
        double[] xs = [1.0, -1.0], buf = [0, 0], p = [2, 4];
        for (int k = 0; k < 4; k++)
        {
            OptimTestProblem.SetGrad(x, [xs[0] * xs[0], 3 * xs[1]]);
            var g = new[] { xs[0] * xs[0], 3 * xs[1] };
            opt.Step();
            double lr = 0.1 * Math.Pow(0.5, k) * 0.5;
            for (int i = 0; i < 2; i++)
            {
                double d = p[i] * (g[i] + 0.1 * xs[i]);
                buf[i] = k == 0 ? d : 0.9 * buf[i] + d;
                xs[i] -= lr * buf[i];
            }
            Assert.That(x.ToArray<double>(), Is.EqualTo(xs).Within(1e-14), $"step {k + 1}");
        }
        Assert.That(opt.State.GetScalar("precond.calls"), Is.EqualTo(4));

        using var exported = opt.ExportState();
        Assert.That(exported.Tensors.Keys, Is.EquivalentTo(new[] { "param.0.momentum_buffer", "precond.diag" }));
        Assert.That(exported.Metadata["precond.calls"], Is.EqualTo("4"));
        var y = Param(xs);
        var precond2 = new DiagonalPreconditioner([0, 0]);
        using var opt2 = new ChainOptimizer([y], new OptimizerOptions { LearningRate = 0.1 },
            _ => [new AddWeightDecay(0.1), precond2, new Momentum(0.9)]);
        opt2.ImportState(exported);
        Assert.That(precond2.Imports, Is.EqualTo(1));
        Assert.That(opt2.State.GetScalar("precond.calls"), Is.EqualTo(4));
        Assert.That(opt2.State.Tensors["precond.diag"].ToArray<double>(), Is.EqualTo(new[] { 2.0, 4.0 }));
    }

    [Test]
    public void TwoLinksCannotClaimTheSameBufferName()
    {
        var e = Assert.Throws<ArgumentException>(() => new ChainOptimizer([Param(1.0)], new OptimizerOptions(), _ => [new Momentum(0.9), new Momentum(0.5)]));
        Assert.That(e!.Message, Does.Contain("momentum_buffer"));
    }
}

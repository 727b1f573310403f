using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Optim;

public class ExactSecondOrderTests
{
    /// <summary>Least squares is quadratic: one undamped Newton (= Gauss-Newton) step lands on the minimum.</summary>
    [TestCase(CurvatureKind.Hessian)]
    [TestCase(CurvatureKind.GaussNewton)]
    [TestCase(CurvatureKind.Fisher)]
    public void OneStepSolvesLinearLeastSquares(CurvatureKind kind)
    {
        var net = Network([3, 2], Activation.Identity, seed: 161);
        var x = Inputs(10, 3, 162);
        var t = Tensor.RandN(new Shape(10, 2), new System.Random(163), dtype: DType.Float64);
        var opt = new ExactSecondOrderOptimizer(net.Parameters(), new SquaredError(), kind, damping: 1e-12);
        opt.Step(net.Forward, x, t);
        var g = ExactCurvature.Gradient(net.Forward, net.Parameters(), new SquaredError(), x, t);
        Assert.That(g.Max(Math.Abs), Is.LessThan(1e-8));
    }

    [Test]
    public void NaturalGradientEqualsGaussNewtonForSoftmax()
    {
        var net = Network([3, 4, 3], Activation.Tanh, seed: 171);
        var x = Inputs(6, 3, 172);
        var t = SoftmaxOps.OneHot([0, 1, 2, 0, 1, 2], 3, DType.Float64);
        var ng = new ExactSecondOrderOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), CurvatureKind.Fisher, 1e-3).Direction(net.Forward, x, t).Direction;
        var gn = new ExactSecondOrderOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), CurvatureKind.GaussNewton, 1e-3).Direction(net.Forward, x, t).Direction;
        Assert.That(RelativeError(ng, gn), Is.LessThan(1e-10));
    }

    [TestCase(CurvatureKind.Hessian)]
    [TestCase(CurvatureKind.GaussNewton)]
    [TestCase(CurvatureKind.Fisher)]
    public void StepsReduceTheLossOfASmallNetwork(CurvatureKind kind)
    {
        var net = Network([2, 5, 2], Activation.Tanh, seed: 181);
        var x = Inputs(20, 2, 182);
        var xv = x.ToArray<double>();
        var t = SoftmaxOps.OneHot(Enumerable.Range(0, 20).Select(i => xv[2 * i] * xv[2 * i + 1] > 0 ? 1 : 0).ToArray(), 2, DType.Float64);
        var opt = new ExactSecondOrderOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), kind, damping: 0.1);
        var first = opt.Step(net.Forward, x, t);
        ExactStepResult last = first;
        for (int i = 0; i < 10; i++) last = opt.Step(net.Forward, x, t);
        Assert.That(last.Loss, Is.LessThan(0.7 * first.Loss));
        if (kind == CurvatureKind.Hessian) Assert.That(last.Damping, Is.GreaterThanOrEqualTo(0.1));
    }

    [Test]
    public void Float32ParametersAreRejected() =>
        Assert.That(() => new ExactSecondOrderOptimizer(new Dense(2, 2).Parameters(), new SquaredError(), CurvatureKind.Fisher),
            Throws.ArgumentException.With.Message.Contain("float64"));
}

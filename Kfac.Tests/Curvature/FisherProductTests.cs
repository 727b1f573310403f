using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Curvature;

public class FisherProductTests
{
    public static IEnumerable<ILoss> Losses() => [new SoftmaxCrossEntropy(), new SigmoidCrossEntropy(), new SquaredError(0.7)];

    /// <summary>u^T F w from one JVP per vector and the output Fisher equals the dense exact Fisher's.</summary>
    [TestCaseSource(nameof(Losses))]
    public void JvpQuadraticFormEqualsDenseFisher(ILoss loss)
    {
        var net = Network([3, 5, 4], Activation.Sigmoid, seed: 101);
        var ps = net.Parameters();
        var x = Inputs(6, 3, seed: 102);
        var f = ExactCurvature.Fisher(net.Forward, ps, loss, x);
        var rng = new System.Random(103);
        var u = ps.Select(t => Tensor.RandN(t.Shape, rng, dtype: DType.Float64)).ToArray();
        var w = ps.Select(t => Tensor.RandN(t.Shape, rng, dtype: DType.Float64)).ToArray();
        var (ju, z) = FisherProducts.JacobianVectorProduct(net.Forward, ps, x, u);
        var (jw, _) = FisherProducts.JacobianVectorProduct(net.Forward, ps, x, w);
        double viaJvp = FisherProducts.QuadraticForm(loss, z, ju, jw);
        var fu = MatVec(f, ExactCurvature.Flatten(u));
        double dense = fu.Zip(ExactCurvature.Flatten(w), (a, b) => a * b).Sum();
        Assert.That(viaJvp, Is.EqualTo(dense).Within(1e-10 * Math.Max(1, Math.Abs(dense))));
    }

    /// <summary>For these losses the Fisher is the GGN (natural parameters): two independent computations agree,
    /// and the GGN equals the Hessian for a network that is linear in its parameters (one dense layer).</summary>
    [TestCaseSource(nameof(Losses))]
    public void FisherEqualsGaussNewtonAndHessianForALinearModel(ILoss loss)
    {
        var net = Network([3, 4], Activation.Identity, seed: 111);
        var ps = net.Parameters();
        var x = Inputs(5, 3, seed: 112);
        var rng = new System.Random(113);
        var t = loss is SoftmaxCrossEntropy ? Kfac.Ops.SoftmaxOps.OneHot([0, 1, 2, 3, 1], 4, DType.Float64)
            : loss is SigmoidCrossEntropy ? Tensor.Rand(new Shape(5, 4), rng, dtype: DType.Float64) : Tensor.RandN(new Shape(5, 4), rng, dtype: DType.Float64);
        var f = ExactCurvature.Fisher(net.Forward, ps, loss, x);
        var g = ExactCurvature.GaussNewton(net.Forward, ps, loss, x);
        var h = ExactCurvature.Hessian(net.Forward, ps, loss, x, t);
        Assert.That(RelativeError(f, g), Is.LessThan(1e-12));
        Assert.That(RelativeError(h, g), Is.LessThan(1e-7));
    }

    /// <summary>With a nonlinear network the Hessian differs from the GGN by the residual term.</summary>
    [Test]
    public void HessianDiffersFromGaussNewtonForANonlinearNetwork()
    {
        var net = Network([2, 3, 2], Activation.Tanh, seed: 121);
        var ps = net.Parameters();
        var x = Inputs(4, 2, seed: 122);
        var t = Tensor.RandN(new Shape(4, 2), new System.Random(123), 3, 1, DType.Float64);
        var g = ExactCurvature.GaussNewton(net.Forward, ps, new SquaredError(), x);
        var h = ExactCurvature.Hessian(net.Forward, ps, new SquaredError(), x, t);
        Assert.That(RelativeError(h, g), Is.GreaterThan(1e-3));
    }

    /// <summary>Sampled-mode G converges to Exact-mode G: the relative Frobenius error of the average over S
    /// independent sampled passes falls like 1/sqrt(S). Stated tolerance: below 0.06 at S = 2000, and at
    /// least 3x smaller than at S = 20 (the 1/sqrt(S) law predicts 10x).</summary>
    [Test]
    public void SampledOutputFactorConvergesToExact()
    {
        var net = Network([3, 5, 4], Activation.Tanh, seed: 131);
        var x = Inputs(40, 3, seed: 132);
        var loss = new SoftmaxCrossEntropy();
        var exact = OutputFactors(net, loss, x, FisherEstimation.Exact, new Kfac.Sampling.RandomStream(1));
        var rng = new Kfac.Sampling.RandomStream(133);
        double ErrorAfter(int samples)
        {
            var sum = exact.Select(e => new double[e.Length]).ToArray();
            for (int s = 0; s < samples; s++)
            {
                var g = OutputFactors(net, loss, x, FisherEstimation.Sampled, rng);
                for (int l = 0; l < g.Length; l++)
                    for (int i = 0; i < g[l].Length; i++) sum[l][i] += g[l][i] / samples;
            }
            return Enumerable.Range(0, exact.Length).Max(l => RelativeError(sum[l], exact[l]));
        }
        double e20 = ErrorAfter(20), e2000 = ErrorAfter(2000);
        TestContext.Out.WriteLine($"relative error: S=20 {e20:F4}, S=2000 {e2000:F4}");
        Assert.That(e2000, Is.LessThan(0.06));
        Assert.That(e2000, Is.LessThan(e20 / 3));
    }

    private static double[][] OutputFactors(Sequential net, ILoss loss, Tensor x, FisherEstimation mode, Kfac.Sampling.RandomStream rng)
    {
        using var scope = TensorScope.Begin();
        var captures = Capture(net, loss, x, mode, rng);
        return captures.Select(c =>
        {
            var block = new KroneckerFactoredBlock((DenseTag)c.Tag);
            block.UpdateStatistics([c], 0.95);
            return block.OutputFactor!.ToArray<double>();
        }).ToArray();
    }
}

using Kfac.Autodiff;
using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Conv;

/// <summary>Conv2d as an op: backward and JVP against central differences (double), float32 against float64,
/// eager shape errors (values against the definition: <see cref="ConvKernelContract"/>).</summary>
public class ConvOpTests
{
    private const double Tolerance = 1e-6;

    private static Tensor Random(int seed, params int[] shape) => Tensor.RandN(new Shape(shape), new System.Random(seed), dtype: DType.Float64);

    // n, cin, h, w, cout, kh, kw, strideH, strideW, padH, padW, bias
    [TestCase(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, true)]
    [TestCase(2, 3, 5, 4, 2, 3, 2, 1, 1, 1, 1, true)]
    [TestCase(2, 3, 6, 7, 5, 3, 3, 2, 2, 1, 1, true)]
    [TestCase(1, 2, 5, 5, 3, 5, 5, 1, 1, 2, 2, false)]
    [TestCase(3, 1, 7, 5, 2, 2, 3, 2, 2, 0, 0, true)]
    [TestCase(2, 3, 4, 4, 3, 1, 1, 1, 1, 0, 0, true)]
    [TestCase(2, 1, 5, 6, 2, 3, 3, 2, 1, 0, 2, true)]
    public void Conv2dGradientAndJvpMatchFiniteDifferences(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, bool bias)
    {
        var inputs = new List<Tensor> { Random(1, n, cin, h, w), Random(2, cout, cin, kh, kw) };
        if (bias) inputs.Add(Random(3, cout));
        var r = GradCheck.Run(x => ConvolutionOps.Conv2d(x[0], x[1], bias ? x[2] : null, (sh, sw), (ph, pw)), [.. inputs]);
        Assert.That(r.Passed(Tolerance), Is.True, $"gradient error {r.MaxGradientError:G3}, jvp error {r.MaxJvpError:G3}: {r.Detail}");
    }

    [Test]
    public void Conv2dInFloat32MatchesFloat64()
    {
        var x = Random(7, 2, 3, 6, 6);
        var w = Random(8, 4, 3, 3, 3);
        var b = Random(9, 4);
        var y64 = ConvolutionOps.Conv2d(x, w, b, 1, 1).ToArray<double>();
        var y32 = ConvolutionOps.Conv2d(x.To(DType.Float32), w.To(DType.Float32), b.To(DType.Float32), 1, 1).ToArray<float>();
        for (int i = 0; i < y64.Length; i++) Assert.That(y32[i], Is.EqualTo(y64[i]).Within(1e-4 * (1 + Math.Abs(y64[i]))));
    }

    [Test]
    public void ShapeErrorsNameTheArgumentAndShapes()
    {
        var x = Random(12, 2, 3, 5, 5);
        Assert.That(() => ConvolutionOps.Conv2d(x, Random(13, 4, 2, 3, 3)),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("[4, 2, 3, 3]").And.Message.Contain("[2, 3, 5, 5]"));
        Assert.That(() => ConvolutionOps.Conv2d(x, Random(14, 4, 3, 3, 3), Random(15, 3)),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("bias").And.Message.Contain("[3]"));
        Assert.That(() => ConvolutionOps.Conv2d(Random(16, 2, 3, 5), Random(14, 4, 3, 3, 3)),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("[2, 3, 5]"));
        Assert.That(() => ConvolutionOps.Conv2d(x, Random(17, 4, 3, 7, 7)),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("smaller than the 7x7 kernel"));
        Assert.That(() => ConvolutionOps.Conv2d(x, Random(14, 4, 3, 3, 3), null, 0, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void OnlyTheBiasRequiringGradStillGetsItsGradient()
    {
        var x = Random(18, 2, 2, 4, 4);
        var w = Random(19, 3, 2, 3, 3);
        var b = Random(20, 3);
        b.RequiresGrad = true;
        ConvolutionOps.Conv2d(x, w, b, 1, 1).Sum().Backward();
        // d sum(y) / d b_o = N Hout Wout
        Assert.That(b.Grad!.ToArray<double>(), Is.All.EqualTo(2 * 16).Within(1e-12));
    }
}

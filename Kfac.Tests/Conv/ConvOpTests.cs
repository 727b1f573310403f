using Kfac.Autodiff;
using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Conv;

/// <summary>Conv2d as an op: values against the definition, backward and JVP against central differences
/// (double), im2col/col2im as adjoints, and eager shape errors.</summary>
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

    [TestCase(2, 3, 6, 5, 4, 3, 2, 2, 1, 1, 2)]
    [TestCase(1, 2, 4, 4, 3, 4, 4, 1, 1, 0, 0)]
    [TestCase(3, 1, 5, 7, 2, 1, 3, 1, 2, 0, 1)]
    public void Conv2dMatchesTheDefinition(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var x = Random(4, n, cin, h, w);
        var wt = Random(5, cout, cin, kh, kw);
        var b = Random(6, cout);
        var y = ConvolutionOps.Conv2d(x, wt, b, (sh, sw), (ph, pw));
        int oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1;
        Assert.That(y.Shape, Is.EqualTo(new Shape(n, cout, oh, ow)));
        var xs = x.ToArray<double>();
        var ws = wt.ToArray<double>();
        var bs = b.ToArray<double>();
        var ys = y.ToArray<double>();
        for (int i = 0; i < n; i++)
            for (int o = 0; o < cout; o++)
                for (int p = 0; p < oh; p++)
                    for (int q = 0; q < ow; q++)
                    {
                        double s = bs[o];
                        for (int c = 0; c < cin; c++)
                            for (int a = 0; a < kh; a++)
                                for (int d = 0; d < kw; d++)
                                {
                                    int r = p * sh - ph + a, col = q * sw - pw + d;
                                    if (r < 0 || r >= h || col < 0 || col >= w) continue;
                                    s += ws[((o * cin + c) * kh + a) * kw + d] * xs[((i * cin + c) * h + r) * w + col];
                                }
                        Assert.That(ys[((i * cout + o) * oh + p) * ow + q], Is.EqualTo(s).Within(1e-12), $"y[{i}, {o}, {p}, {q}]");
                    }
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

    /// <summary>col2im is the adjoint of im2col: &lt;im2col(x), c&gt; = &lt;x, col2im(c)&gt;; and accumulate adds.</summary>
    [TestCase(2, 3, 5, 4, 3, 2, 2, 1, 1, 2)]
    [TestCase(1, 2, 6, 6, 3, 3, 1, 1, 1, 1)]
    public void Col2ImIsTheAdjointOfIm2Col(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var x = Random(10, n, c, h, w);
        var g = WindowGeometry.Of("test", x, kh, kw, sh, sw, ph, pw);
        var cols = Tensor.Empty(new Shape(g.PatchSize, g.PatchCount), DType.Float64);
        x.Backend.Im2Col(x, g, cols);
        var r = Random(11, g.PatchSize, g.PatchCount);
        var back = Tensor.Full(x.Shape, 0.5, DType.Float64);
        x.Backend.Col2Im(r, g, back, accumulate: true);
        double lhs = x.Backend.Dot(cols, r);
        double rhs = x.Backend.Dot(x, back) - 0.5 * x.Backend.Sum(x);
        Assert.That(lhs, Is.EqualTo(rhs).Within(1e-10 * (1 + Math.Abs(lhs))));
        x.Backend.Col2Im(r, g, back, accumulate: false);
        Assert.That(x.Backend.Dot(x, back), Is.EqualTo(lhs).Within(1e-10 * (1 + Math.Abs(lhs))), "accumulate: false overwrites");
    }

    [Test]
    public void Im2ColPutsEachPatchInAColumn()
    {
        // One 1 x 3 x 3 image 1..9, 2x2 kernel, stride 1, padding 0: four patches of four elements.
        var x = Tensor.FromArray(Enumerable.Range(1, 9).Select(v => (double)v).ToArray(), 1, 1, 3, 3);
        var g = WindowGeometry.Of("test", x, 2, 2, 1, 1, 0, 0);
        var cols = Tensor.Empty(new Shape(4, 4), DType.Float64);
        x.Backend.Im2Col(x, g, cols);
        // column r = patch at (oh, ow) = (r / 2, r % 2); row q = kernel position (i, j)
        Assert.That(cols.ToArray<double>(), Is.EqualTo(new double[] { 1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9 }));
    }

    [Test]
    public void SwapMiddleAxesMovesPlanesAndTransposesMatrices()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 12).Select(v => (double)v).ToArray(), 2, 2, 3);
        var y = Tensor.Empty(new Shape(2, 3, 2), DType.Float64);
        x.Backend.SwapMiddleAxes(x, 2, 2, 3, 1, y);
        Assert.That(y.ToArray<double>(), Is.EqualTo(new double[] { 0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11 }), "two 2x3 transposes");
        var z = Tensor.Empty(new Shape(3, 2, 2), DType.Float64);
        x.Backend.SwapMiddleAxes(x, 1, 2, 3, 2, z);
        // x as [1, a = 2, b = 3, inner = 2] -> [1, 3, 2, 2]: z[j, i, :] = x[i, j, :]
        Assert.That(z.ToArray<double>(), Is.EqualTo(new double[] { 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11 }));
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

using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Conv;

/// <summary>
/// The convolution and pooling backend primitives (IBackend.Im2Col, Col2Im, SwapMiddleAxes, MaxPool,
/// MaxPoolBackward, MaxPoolJvp) and the ops built on them, checked by value, written once: every backend runs
/// them through a fixture that names its device (<see cref="CpuConvKernelTests"/> here).
/// </summary>
public abstract class ConvKernelContract
{
    protected abstract Device Device { get; }

    private Tensor Random(int seed, params int[] shape) => Tensor.RandN(new Shape(shape), new System.Random(seed), dtype: DType.Float64, device: Device);

    private Tensor Values(double[] data, params int[] shape) => Tensor.FromArray<double>(data, new Shape(shape), Device);

    private Tensor Empty(params int[] shape) => Tensor.Empty(new Shape(shape), DType.Float64, Device);

    [Test]
    public void Im2ColPutsEachPatchInAColumn()
    {
        // One 1 x 3 x 3 image 1..9, 2x2 kernel, stride 1, padding 0: four patches of four elements.
        var x = Values(Enumerable.Range(1, 9).Select(v => (double)v).ToArray(), 1, 1, 3, 3);
        var g = WindowGeometry.Of("test", x, 2, 2, 1, 1, 0, 0);
        var cols = Empty(4, 4);
        x.Backend.Im2Col(x, g, cols);
        // column r = patch at (oh, ow) = (r / 2, r % 2); row q = kernel position (i, j)
        Assert.That(cols.ToArray<double>(), Is.EqualTo(new double[] { 1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9 }));
    }

    /// <summary>col2im is the adjoint of im2col: &lt;im2col(x), c&gt; = &lt;x, col2im(c)&gt;; and accumulate adds.</summary>
    [TestCase(2, 3, 5, 4, 3, 2, 2, 1, 1, 2)]
    [TestCase(1, 2, 6, 6, 3, 3, 1, 1, 1, 1)]
    [TestCase(2, 1, 7, 5, 2, 3, 3, 2, 0, 1)]
    public void Col2ImIsTheAdjointOfIm2Col(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var x = Random(10, n, c, h, w);
        var g = WindowGeometry.Of("test", x, kh, kw, sh, sw, ph, pw);
        var cols = Empty(g.PatchSize, g.PatchCount);
        x.Backend.Im2Col(x, g, cols);
        var r = Random(11, g.PatchSize, g.PatchCount);
        var back = Tensor.Full(x.Shape, 0.5, DType.Float64, Device);
        x.Backend.Col2Im(r, g, back, accumulate: true);
        double lhs = x.Backend.Dot(cols, r);
        double rhs = x.Backend.Dot(x, back) - 0.5 * x.Backend.Sum(x);
        Assert.That(lhs, Is.EqualTo(rhs).Within(1e-10 * (1 + Math.Abs(lhs))));
        x.Backend.Col2Im(r, g, back, accumulate: false);
        Assert.That(x.Backend.Dot(x, back), Is.EqualTo(lhs).Within(1e-10 * (1 + Math.Abs(lhs))), "accumulate: false overwrites");
    }

    [Test]
    public void SwapMiddleAxesMovesPlanesAndTransposesMatrices()
    {
        var x = Values(Enumerable.Range(0, 12).Select(v => (double)v).ToArray(), 2, 2, 3);
        var y = Empty(2, 3, 2);
        x.Backend.SwapMiddleAxes(x, 2, 2, 3, 1, y);
        Assert.That(y.ToArray<double>(), Is.EqualTo(new double[] { 0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11 }), "two 2x3 transposes");
        var z = Empty(3, 2, 2);
        x.Backend.SwapMiddleAxes(x, 1, 2, 3, 2, z);
        // x as [1, a = 2, b = 3, inner = 2] -> [1, 3, 2, 2]: z[j, i, :] = x[i, j, :]
        Assert.That(z.ToArray<double>(), Is.EqualTo(new double[] { 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11 }));
    }

    [TestCase(2, 3, 6, 5, 4, 3, 2, 2, 1, 1, 2)]
    [TestCase(1, 2, 4, 4, 3, 4, 4, 1, 1, 0, 0)]
    [TestCase(3, 1, 5, 7, 2, 1, 3, 1, 2, 0, 1)]
    [TestCase(2, 2, 5, 6, 3, 3, 5, 1, 1, 1, 2)] // stride 1, output as large as the input: im2col's one-copy path
    [TestCase(1, 1, 2, 3, 2, 5, 3, 1, 1, 2, 1)] // the same, with kernel rows that see no image row at all
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

    /// <summary>The backend's convolution input gradient (<see cref="IBackend.ConvolutionInputGradient"/>) against the direct
    /// convolution's, written as loops over its definition (<see cref="DirectConvolution"/>), overwriting and accumulating.</summary>
    [TestCase(2, 3, 6, 5, 4, 3, 2, 2, 1, 1, 2)]
    [TestCase(1, 1, 4, 4, 1, 1, 1, 1, 1, 0, 0)]
    [TestCase(3, 2, 5, 7, 3, 2, 3, 1, 2, 0, 1)]
    [TestCase(5, 2, 5, 6, 3, 3, 5, 1, 1, 1, 2)]
    public void ConvolutionInputGradientMatchesTheDirectConvolution(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var x = Random(21, n, cin, h, w);
        var g = WindowGeometry.Of("test", x, kh, kw, sh, sw, ph, pw);
        var wt = Random(22, cout, g.PatchSize);
        var dyc = Random(23, cout, g.PatchCount);
        var expected = new DirectConvolution(g, wt.ToArray<double>(), dyc.ToArray<double>(), cout).InputGradient();
        foreach (bool accumulate in new[] { false, true })
        {
            var start = Random(26, n, cin, h, w).ToArray<double>();
            var dx = Values(start, n, cin, h, w);
            x.Backend.ConvolutionInputGradient(wt, g, dyc, dx, accumulate);
            var want = expected.Select((v, i) => v + (accumulate ? start[i] : 0)).ToArray();
            Assert.That(dx.ToArray<double>(), Is.EqualTo(want).Within(1e-12), $"accumulate {accumulate}");
        }
    }

    [Test]
    public void MaxPoolTakesTheFirstMaximumAndIgnoresPadding()
    {
        // One 3x3 plane of negatives: the padding must not win with 0.
        var x = Values([-1, -2, -3, -4, -5, -6, -7, -8, -9], 1, 1, 3, 3);
        Assert.That(PoolingOps.MaxPool2d(x, (2, 2), (2, 2), (1, 1)).ToArray<double>(), Is.EqualTo(new double[] { -1, -2, -4, -5 }));

        // A tie: backward and forward mode both use the first maximal element.
        var tie = Values([5, 1, 5, 2], 1, 1, 2, 2);
        var g = WindowGeometry.Of("test", tie, 2, 2, 2, 2, 0, 0);
        var y = Empty(1, 1, 1, 1);
        tie.Backend.MaxPool(tie, g, y);
        Assert.That(y.Item(), Is.EqualTo(5));
        var dx = Empty(1, 1, 2, 2);
        tie.Backend.MaxPoolBackward(tie, Values([3], 1, 1, 1, 1), g, dx, accumulate: false);
        Assert.That(dx.ToArray<double>(), Is.EqualTo(new double[] { 3, 0, 0, 0 }));
        var ty = Empty(1, 1, 1, 1);
        tie.Backend.MaxPoolJvp(tie, Values([10, 20, 30, 40], 1, 1, 2, 2), g, ty);
        Assert.That(ty.Item(), Is.EqualTo(10));
    }

    [Test]
    public void OverlappingMaxWindowsAddTheirGradients()
    {
        var x = Values([0, 0, 0, 0, 9, 0, 0, 0, 0], 1, 1, 3, 3);
        var g = WindowGeometry.Of("test", x, 2, 2, 1, 1, 0, 0);
        var dx = Tensor.Full(x.Shape, 1, DType.Float64, Device);
        x.Backend.MaxPoolBackward(x, Values([1, 2, 3, 4], 1, 1, 2, 2), g, dx, accumulate: true);
        Assert.That(dx.ToArray<double>(), Is.EqualTo(new double[] { 1, 1, 1, 1, 11, 1, 1, 1, 1 }), "the centre is the max of all four windows");
    }

    [Test]
    public void AvgPoolCountsPaddingAsZeros()
    {
        var x = Values([1, 2, 3, 4], 1, 1, 2, 2);
        Assert.That(PoolingOps.AvgPool2d(x, (2, 2), (2, 2), (1, 1)).ToArray<double>(), Is.EqualTo(new double[] { 0.25, 0.5, 0.75, 1 }));
        var z = PoolingOps.AvgPool2d(Values([1, 2, 3, 4, 5, 6], 1, 1, 2, 3), (2, 2), (1, 1));
        Assert.That(z.ToArray<double>(), Is.EqualTo(new double[] { 3, 4 }));
    }
}

public sealed class CpuConvKernelTests : ConvKernelContract
{
    protected override Device Device => Device.Cpu;
}

using Kfac.Autodiff;
using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Conv;

/// <summary>Max and average pooling ops: backward and JVP against central differences, eager geometry errors (values:
/// <see cref="ConvKernelContract"/>).</summary>
public class PoolOpTests
{
    private const double Tolerance = 1e-6;

    private static Tensor Random(int seed, params int[] shape) => Tensor.RandN(new Shape(shape), new System.Random(seed), dtype: DType.Float64);

    private static void AssertPasses(GradCheck.Result r) =>
        Assert.That(r.Passed(Tolerance), Is.True, $"gradient error {r.MaxGradientError:G3}, jvp error {r.MaxJvpError:G3}: {r.Detail}");

    // n, c, h, w, kh, kw, sh, sw, ph, pw
    [TestCase(2, 3, 4, 4, 2, 2, 2, 2, 0, 0)]
    [TestCase(1, 1, 5, 5, 3, 3, 1, 1, 1, 1)]
    [TestCase(2, 3, 5, 7, 2, 3, 1, 2, 0, 1)]
    [TestCase(3, 1, 5, 5, 3, 3, 2, 2, 0, 0)]
    public void MaxPoolGradientAndJvpMatchFiniteDifferences(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) =>
        AssertPasses(GradCheck.Run(x => PoolingOps.MaxPool2d(x[0], (kh, kw), (sh, sw), (ph, pw)), [Random(1, n, c, h, w)]));

    [TestCase(2, 3, 4, 4, 2, 2, 2, 2, 0, 0)]
    [TestCase(1, 1, 5, 5, 3, 3, 1, 1, 1, 1)]
    [TestCase(2, 3, 5, 7, 2, 3, 1, 2, 0, 1)]
    [TestCase(3, 1, 6, 5, 3, 2, 2, 2, 1, 0)]
    public void AvgPoolGradientAndJvpMatchFiniteDifferences(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) =>
        AssertPasses(GradCheck.Run(x => PoolingOps.AvgPool2d(x[0], (kh, kw), (sh, sw), (ph, pw)), [Random(2, n, c, h, w)]));

    [Test]
    public void PoolingRejectsBadGeometry()
    {
        var x = Random(3, 1, 2, 4, 4);
        Assert.That(() => PoolingOps.MaxPool2d(x, (2, 2), (2, 2), (2, 2)), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("half the kernel"));
        Assert.That(() => PoolingOps.AvgPool2d(x, (5, 5), (1, 1)), Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("[1, 2, 4, 4]"));
        Assert.That(() => PoolingOps.MaxPool2d(Random(4, 2, 4), (2, 2), (2, 2)), Throws.TypeOf<ShapeMismatchException>());
    }

    /// <summary>The CPU max-pool kernels (branch-free inside the image, general at the borders) against a direct
    /// reference over random geometries, on values drawn from {-2, ..., 2} so that ties are everywhere: forward,
    /// JVP and backward must all take the first maximal element in row-major window order, in float and double.</summary>
    [FsCheck.NUnit.Property(MaxTest = 60)]
    public bool MaxPoolKernelsTakeTheFirstMaximumOnTies(FsCheck.PositiveInt seedArg, bool useFloat)
    {
        var rng = new System.Random(seedArg.Get);
        int kh = rng.Next(1, 4), kw = rng.Next(1, 4), sh = rng.Next(1, 3), sw = rng.Next(1, 3);
        int ph = rng.Next(0, kh / 2 + 1), pw = rng.Next(0, kw / 2 + 1);
        int n = rng.Next(1, 3), c = rng.Next(1, 4), h = rng.Next(kh, 8), w = rng.Next(kw, 8);
        var dtype = useFloat ? DType.Float32 : DType.Float64;
        double[] xs = Enumerable.Range(0, n * c * h * w).Select(_ => (double)rng.Next(-2, 3)).ToArray();
        double[] ts = Enumerable.Range(0, xs.Length).Select(_ => rng.NextDouble()).ToArray();
        var x = Tensor.FromArray(xs, new Shape(n, c, h, w)).To(dtype);
        var tx = Tensor.FromArray(ts, new Shape(n, c, h, w)).To(dtype);
        var g = WindowGeometry.Of("test", x, kh, kw, sh, sw, ph, pw);
        int oh = g.OutHeight, ow = g.OutWidth;
        double[] dy = Enumerable.Range(0, n * c * oh * ow).Select(_ => rng.NextDouble()).ToArray();

        var y = Tensor.Zeros(new Shape(n, c, oh, ow), dtype);
        var ty = Tensor.Zeros(new Shape(n, c, oh, ow), dtype);
        var dx = Tensor.Zeros(new Shape(n, c, h, w), dtype);
        x.Backend.MaxPool(x, g, y);
        x.Backend.MaxPoolJvp(x, tx, g, ty);
        x.Backend.MaxPoolBackward(x, Tensor.FromArray(dy, new Shape(n, c, oh, ow)).To(dtype), g, dx, accumulate: false);

        // Reference: scan each window clipped to the image, keep the first strictly larger element.
        var yRef = new double[dy.Length];
        var tyRef = new double[dy.Length];
        var dxRef = new double[xs.Length];
        double tol = useFloat ? 1e-6 : 1e-12;
        for (int plane = 0; plane < n * c; plane++)
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++)
                {
                    int arg = -1;
                    for (int i = Math.Max(0, p * sh - ph); i < Math.Min(h, p * sh - ph + kh); i++)
                        for (int j = Math.Max(0, q * sw - pw); j < Math.Min(w, q * sw - pw + kw); j++)
                        {
                            int at = plane * h * w + i * w + j;
                            if (arg < 0 || xs[at] > xs[arg]) arg = at;
                        }
                    int o = (plane * oh + p) * ow + q;
                    yRef[o] = xs[arg];
                    tyRef[o] = useFloat ? (float)ts[arg] : ts[arg];
                    dxRef[arg] += useFloat ? (float)dy[o] : dy[o];
                }
        bool Close(double[] a, double[] b) => a.Zip(b).All(z => Math.Abs(z.First - z.Second) <= tol);
        return Close(y.ToDoubleArray(), yRef) && Close(ty.ToDoubleArray(), tyRef) && Close(dx.ToDoubleArray(), dxRef);
    }
}

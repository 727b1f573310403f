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
}

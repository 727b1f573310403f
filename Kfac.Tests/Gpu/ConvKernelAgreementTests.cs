using Kfac.Gpu;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Gpu;

/// <summary>
/// The ILGPU convolution and pooling kernels against the CPU backend, bit for bit, in float32 and float64: im2col,
/// col2im (overlapping windows, accumulate and overwrite), the middle-axes swap (plane moves and batched
/// transposes larger than one 32 x 32 tile), max pooling and its backward pass and JVP on data with ties (small
/// integers) and a NaN. Col2Im and MaxPoolBackward gather per input element in the CPU backend's order, so even
/// the overlapping sums agree exactly.
/// </summary>
public class ConvKernelAgreementTests
{
    private Device _gpu = null!;

    [OneTimeSetUp]
    public void Open()
    {
        GpuDevices.Register();
        _gpu = Device.IlgpuCpu();
    }

    private static double[] Data(int n, int seed, bool ties)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => ties ? rng.Next(-2, 3) : rng.NextDouble() * 2 - 1).ToArray();
    }

    private static Tensor On(Device device, double[] data, DType dtype, params int[] shape) =>
        Tensor.FromDoubles(data, new Shape(shape), dtype, device);

    /// <summary>Both backends' results as raw bits (so NaNs and signed zeros compare too).</summary>
    private static long[] Bits(Tensor t) => t.DType == DType.Float64
        ? t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits).ToArray()
        : t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray();

    private void Same(Func<Device, Tensor> op, string what)
    {
        var cpu = Bits(op(Device.Cpu));
        var gpu = Bits(op(_gpu));
        Assert.That(gpu, Is.EqualTo(cpu), what);
    }

    [TestCase(DType.Float32, 2, 3, 5, 6, 3, 2, 1, 2, 1, 1)]
    [TestCase(DType.Float32, 1, 2, 7, 7, 3, 3, 2, 2, 1, 1)]
    [TestCase(DType.Float64, 2, 1, 6, 5, 2, 3, 3, 1, 0, 2)]
    [TestCase(DType.Float32, 1, 2, 4, 9, 1, 4, 1, 3, 0, 0)]
    public void Im2ColAndCol2ImMatchTheCpuBackendBitForBit(DType dtype, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new WindowGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        var xs = Data(g.InputNumel, 1, ties: false);
        var cs = Data(g.PatchSize * g.PatchCount, 2, ties: false);
        var start = Data(g.InputNumel, 3, ties: false);
        Same(d =>
        {
            var cols = Tensor.Full(new Shape(g.PatchSize, g.PatchCount), double.NaN, dtype, d);
            d.Backend.Im2Col(On(d, xs, dtype, n, c, h, w), g, cols);
            return cols;
        }, $"Im2Col {g}");
        foreach (bool accumulate in new[] { true, false })
            Same(d =>
            {
                var dx = On(d, start, dtype, n, c, h, w);
                d.Backend.Col2Im(On(d, cs, dtype, g.PatchSize, g.PatchCount), g, dx, accumulate);
                return dx;
            }, $"Col2Im {g} accumulate {accumulate}");
    }

    [TestCase(DType.Float32, 3, 40, 37, 1)]
    [TestCase(DType.Float64, 2, 33, 70, 1)]
    [TestCase(DType.Float32, 1, 5, 3, 49)]
    [TestCase(DType.Float32, 2, 3, 4, 5)]
    [TestCase(DType.Float64, 4, 1, 6, 2)]
    public void SwapMiddleAxesMatchesTheCpuBackend(DType dtype, int outer, int a, int b, int inner)
    {
        var xs = Data(outer * a * b * inner, 4, ties: false);
        Same(d =>
        {
            var y = Tensor.Full(new Shape(outer * a * b * inner), double.NaN, dtype, d);
            d.Backend.SwapMiddleAxes(On(d, xs, dtype, outer * a * b * inner), outer, a, b, inner, y);
            return y;
        }, $"SwapMiddleAxes [{outer}, {a}, {b}, {inner}]");
    }

    [TestCase(DType.Float32, 2, 2, 6, 6, 2, 2, 2, 2, 0, 0)]
    [TestCase(DType.Float32, 1, 3, 7, 5, 3, 3, 1, 1, 1, 1)]
    [TestCase(DType.Float64, 2, 1, 5, 8, 3, 2, 2, 1, 1, 0)]
    [TestCase(DType.Float32, 1, 2, 5, 5, 2, 3, 3, 2, 1, 1)]
    public void MaxPoolBackwardAndJvpMatchTheCpuBackendWithTiesAndNaN(DType dtype, int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new WindowGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        int outputs = n * c * g.Locations;
        var xs = Data(g.InputNumel, 5, ties: true);
        // Two NaNs: where one is not the first element of a (clipped) window it never wins; where it is, it stays the
        // max (nothing compares greater), as on the CPU backend.
        xs[1] = double.NaN;
        xs[w] = double.NaN;
        var dys = Data(outputs, 6, ties: false);
        var txs = Data(g.InputNumel, 7, ties: false);
        var start = Data(g.InputNumel, 8, ties: false);
        Same(d =>
        {
            var y = Tensor.Full(new Shape(n, c, g.OutHeight, g.OutWidth), 7, dtype, d);
            d.Backend.MaxPool(On(d, xs, dtype, n, c, h, w), g, y);
            return y;
        }, $"MaxPool {g}");
        Same(d =>
        {
            var ty = Tensor.Full(new Shape(n, c, g.OutHeight, g.OutWidth), 7, dtype, d);
            d.Backend.MaxPoolJvp(On(d, xs, dtype, n, c, h, w), On(d, txs, dtype, n, c, h, w), g, ty);
            return ty;
        }, $"MaxPoolJvp {g}");
        foreach (bool accumulate in new[] { true, false })
            Same(d =>
            {
                var dx = On(d, start, dtype, n, c, h, w);
                d.Backend.MaxPoolBackward(On(d, xs, dtype, n, c, h, w), On(d, dys, dtype, n, c, g.OutHeight, g.OutWidth), g, dx, accumulate);
                return dx;
            }, $"MaxPoolBackward {g} accumulate {accumulate}");
    }

    [Test]
    public void ThePoolingKernelsRejectAWindowThatCanMissTheImage()
    {
        var x = Tensor.Zeros(new Shape(1, 1, 4, 4), DType.Float32, _gpu);
        var g = new WindowGeometry(1, 1, 4, 4, 2, 2, 2, 2, 2, 2);
        var y = Tensor.Empty(new Shape(1, 1, g.OutHeight, g.OutWidth), DType.Float32, _gpu);
        Assert.That(() => _gpu.Backend.MaxPool(x, g, y), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("padding"));
        var small = Tensor.Empty(new Shape(3), DType.Float32, _gpu);
        Assert.That(() => _gpu.Backend.Im2Col(x, new WindowGeometry(1, 1, 4, 4, 2, 2, 1, 1, 0, 0), small),
            Throws.ArgumentException.With.Message.Contain("cols"));
    }
}

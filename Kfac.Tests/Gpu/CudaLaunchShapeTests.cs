using Kfac.Gpu;
using Kfac.Tensors;
using Kfac.Tests.Backends;
using NUnit.Framework;
using static Kfac.Tests.Backends.HostReference;

namespace Kfac.Tests.Gpu;

/// <summary>
/// The kernels whose work split depends on the launch shape, run on ILGPU's CPU accelerator with CUDA's shape
/// (ilgpu-cpu:1: 256-thread groups, 16 x 16 GEMM/SYRK groups owning 64 x 64 tiles, 32 x 8 transpose groups,
/// 256-wide tree reductions), against the host reference. The default test device uses 64-thread groups, so
/// without these the CUDA configuration would first run on a GPU. One case each (256-thread barriers are slow on
/// the CPU accelerator); the full contract with this shape is IlgpuCpuCudaShapeBackendContractTests (explicit).
/// </summary>
public class CudaLaunchShapeTests
{
    private Device _device = null!;

    [OneTimeSetUp]
    public void Open()
    {
        GpuDevices.Register();
        _device = Device.IlgpuCpu(1);
        var policy = ((IlgpuBackend)_device.Backend).Policy;
        Assert.That((policy.GroupSize, policy.TileThreads, policy.Tile), Is.EqualTo((256, 16, 64)), "the CUDA launch shape");
    }

    private Tensor Make(double[] data, params int[] shape) => Tensor.FromDoubles(data, new Shape(shape), DType.Float32, _device);

    private static double[] F(double[] d) => d.Select(v => (double)(float)v).ToArray();

    [Test]
    public void GemmWithPartialTilesAndEveryTranspose()
    {
        var rng = new Random(1);
        int m = 50, n = 40, k = 37;
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var a = F(RandomGaussian(rng, m * k));
            var b = F(RandomGaussian(rng, k * n));
            var c = Tensor.Full(new Shape(m, n), double.NaN, DType.Float32, _device);
            _device.Backend.Gemm(ta, tb, m, n, k, 1, Make(a, m * k), Make(b, k * n), 0, c);
            var (want, scale) = Gemm(ta, tb, m, n, k, a, b);
            var got = c.ToDoubleArray();
            for (int i = 0; i < want.Length; i++)
                Assert.That(got[i], Is.EqualTo(want[i]).Within(1e-5 * scale[i]), $"Gemm({ta}, {tb}) element {i}");
        }
    }

    [Test]
    public void SyrkAndSpdInverseAcrossCholeskyBlocks()
    {
        var rng = new Random(2);
        int rows = 70, n = 45; // two 32-column Cholesky blocks; a 64 x 64 SYRK tile cut at 45
        var x = F(RandomGaussian(rng, rows * n));
        var cov = Tensor.Full(new Shape(n, n), double.NaN, DType.Float32, _device);
        _device.Backend.Syrk(Make(x, rows, n), rows, n, 1.0 / rows, 0, cov);
        var (xtx, abs) = Gemm(true, false, n, n, rows, x, x);
        var got = cov.ToDoubleArray();
        for (int i = 0; i < got.Length; i++)
            Assert.That(got[i], Is.EqualTo(xtx[i] / rows).Within(1e-5 * abs[i] / rows), $"Syrk element {i}");

        var inverse = Tensor.Full(new Shape(n, n), double.NaN, DType.Float32, _device);
        _device.Backend.SpdInverse(cov, n, 0.1, inverse);
        var want = DampedSymmetricInverse(F(got), n, 0.1);
        var inv = inverse.ToDoubleArray();
        double num = 0, den = 0;
        for (int i = 0; i < inv.Length; i++) { num += (inv[i] - want[i]) * (inv[i] - want[i]); den += want[i] * want[i]; }
        Assert.That(Math.Sqrt(num / den), Is.LessThan(1e-5));
    }

    [Test]
    public void ReductionsAndTransposeWith256ThreadGroups()
    {
        var rng = new Random(3);
        int rows = 3, cols = 300; // more columns than threads: the grid-stride loop and the full 256-wide tree
        var x = F(RandomGaussian(rng, rows * cols));
        var lse = Tensor.Full(new Shape(rows), double.NaN, DType.Float32, _device);
        _device.Backend.LogSumExp(Make(x, rows, cols), rows, cols, lse);
        var got = lse.ToDoubleArray();
        for (int r = 0; r < rows; r++)
            Assert.That(got[r], Is.EqualTo(LogSumExp(x, r * cols, cols)).Within(1e-5), $"LogSumExp row {r}");

        var sums = Tensor.Full(new Shape(rows), double.NaN, DType.Float32, _device);
        _device.Backend.SumAxis(Make(x, rows, cols), rows, cols, 1, sums, false);
        var s = sums.ToDoubleArray();
        for (int r = 0; r < rows; r++)
            Assert.That(s[r], Is.EqualTo(x.Skip(r * cols).Take(cols).Sum()).Within(1e-5 * x.Skip(r * cols).Take(cols).Sum(Math.Abs)), $"row sum {r}");
        var columns = Tensor.Full(new Shape(cols), double.NaN, DType.Float32, _device);
        _device.Backend.SumAxis(Make(x, rows, cols), 1, rows, cols, columns, false); // 32 x 8 groups over 300 columns
        var cs = columns.ToDoubleArray();
        for (int c = 0; c < cols; c++)
            Assert.That(cs[c], Is.EqualTo(x[c] + x[cols + c] + x[2 * cols + c]).Within(1e-5 * (Math.Abs(x[c]) + Math.Abs(x[cols + c]) + Math.Abs(x[2 * cols + c]))), $"column sum {c}");
        Assert.That(_device.Backend.Dot(Make(x, rows * cols), Make(x, rows * cols)), Is.EqualTo(x.Sum(v => v * v)).Within(1e-9 * x.Sum(v => v * v)));

        var t = Tensor.Full(new Shape(cols, rows), double.NaN, DType.Float32, _device);
        _device.Backend.Transpose(Make(x, rows, cols), rows, cols, t);
        var tt = t.ToDoubleArray();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Assert.That(tt[c * rows + r], Is.EqualTo(x[r * cols + c]));
    }

    [Test]
    public void BatchedTransposeWith32By8Groups()
    {
        // SwapMiddleAxes with inner 1 (NCHW -> NHWC, as in the KFC statistics): 2 x 40 x 37 matrices, partial tiles.
        int outer = 2, a = 40, b = 37;
        var x = F(RandomGaussian(new Random(4), outer * a * b));
        var y = Tensor.Full(new Shape(outer * a * b), double.NaN, DType.Float32, _device);
        _device.Backend.SwapMiddleAxes(Make(x, outer * a * b), outer, a, b, 1, y);
        var got = y.ToDoubleArray();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < a; i++)
                for (int j = 0; j < b; j++)
                    Assert.That(got[(o * b + j) * a + i], Is.EqualTo(x[(o * a + i) * b + j]), $"y[{o}, {j}, {i}]");
    }
}

using Kfac.Cpu;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>The CPU backend's fused passes over parameter-sized vectors against the separate operations they
/// replace, in float and double, on one block, several blocks with a ragged end, and a single element.</summary>
public class FusedVectorPassTests
{
    private static readonly int[] Sizes = [0, 1, 1000, 3 * 32768 + 5];

    private static Tensor Random(int n, int seed, DType dtype) => Tensor.RandN(new Shape(n), new System.Random(seed)).To(dtype);

    private static double[] Values(Tensor t) => t.DType == DType.Float64 ? t.ToArray<double>() : t.ToArray<float>().Select(v => (double)v).ToArray();

    private static double Tolerance(DType dtype) => dtype == DType.Float64 ? 1e-12 : 1e-6;

    [Test]
    public void RegularizedGradientIsCopyAxpyNormAndFiniteCheck([ValueSource(nameof(Sizes))] int n, [Values(DType.Float32, DType.Float64)] DType dtype,
        [Values(0.0, 1e-3)] double eta)
    {
        var grad = Random(n, 1, dtype);
        var param = Random(n, 2, dtype);
        var result = Tensor.Zeros(new Shape(n), dtype);
        var backend = param.Backend;
        var (norm, finite) = backend.RegularizedGradient(grad, param, eta, result, squaredNorm: true);

        var expected = grad.Clone();
        if (eta != 0) backend.Axpby(eta, param, 1, expected);
        Assert.That(Values(result), Is.EqualTo(Values(expected)), "the same arithmetic as Copy + Axpby");
        Assert.That(finite, Is.True);
        double reference = Values(param).Sum(v => v * v);
        Assert.That(norm, Is.EqualTo(reference).Within(Tolerance(dtype) * reference));
        Assert.That(backend.AllFinite(result), Is.True);
        Assert.That(backend.RegularizedGradient(grad, param, eta, result, squaredNorm: false).SquaredNorm, Is.Zero);
    }

    [Test]
    public void RegularizedGradientReportsANonFiniteEntryInAnyBlock([Values(0, 40000, 3 * 32768 + 4)] int at)
    {
        int n = 3 * 32768 + 5;
        var grad = Random(n, 3, DType.Float32);
        grad.AsSpan<float>()[at] = float.PositiveInfinity;
        var param = Random(n, 4, DType.Float32);
        var result = Tensor.Zeros(new Shape(n));
        Assert.That(param.Backend.RegularizedGradient(grad, param, 1e-5, result, squaredNorm: false).Finite, Is.False);
    }

    [Test]
    public void ApplyUpdateIsAxpbyBackupAndStep([ValueSource(nameof(Sizes))] int n, [Values(DType.Float32, DType.Float64)] DType dtype,
        [Values(0.0, 0.9)] double mu)
    {
        var direction = Random(n, 5, dtype);
        var previous = Random(n, 6, dtype);
        var param = Random(n, 7, dtype);
        var backup = Tensor.Zeros(new Shape(n), dtype);
        var backend = param.Backend;
        var expectedPrevious = previous.Clone();
        backend.Axpby(-0.3, direction, mu, expectedPrevious);
        var expectedParam = param.Clone();
        backend.Axpby(1, expectedPrevious, 1, expectedParam);
        var before = Values(param);

        var (norm, finite) = backend.ApplyUpdate(-0.3, direction, mu, previous, param, backup, squaredNorm: true);

        Assert.That(finite, Is.True);
        Assert.That(Values(previous), Is.EqualTo(Values(expectedPrevious)));
        Assert.That(Values(param), Is.EqualTo(Values(expectedParam)));
        Assert.That(Values(backup), Is.EqualTo(before));
        double reference = Values(param).Sum(v => v * v);
        Assert.That(norm, Is.EqualTo(reference).Within(Tolerance(dtype) * reference));
    }

    [Test]
    public void ApplyUpdateReportsAnOverflowingUpdate()
    {
        int n = 2 * 32768 + 3;
        var direction = Random(n, 8, DType.Float32);
        direction.AsSpan<float>()[n - 1] = 3e38f;
        var previous = Tensor.Zeros(new Shape(n));
        var param = Random(n, 9, DType.Float32);
        var backup = Tensor.Zeros(new Shape(n));
        var before = param.ToArray<float>();
        var (_, finite) = param.Backend.ApplyUpdate(10, direction, 0, previous, param, backup, squaredNorm: false);
        Assert.That(finite, Is.False);
        Assert.That(backup.ToArray<float>(), Is.EqualTo(before), "the backup holds the weights to restore");
    }

    [Test]
    public void DotsAreTheSumOfDotsAndDoNotDependOnTheThreadCount([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        int n = 5 * 32768 + 17;
        var a = Random(n, 10, dtype);
        var b = Random(n, 11, dtype);
        var c = Random(n, 12, dtype);
        var backend = a.Backend;
        double[] Run(int threads)
        {
            int saved = CpuParallel.MaxThreads;
            CpuParallel.MaxThreads = threads;
            try
            {
                var r = new double[3];
                backend.Dots([a, b, a], [b, c, a], r);
                return r;
            }
            finally
            {
                CpuParallel.MaxThreads = saved;
            }
        }
        var one = Run(1);
        Assert.That(Run(2), Is.EqualTo(one), "bitwise identical whatever the thread count");
        Assert.That(Run(3), Is.EqualTo(one));
        double[] expected = [backend.Dot(a, b), backend.Dot(b, c), backend.Dot(a, a)];
        for (int i = 0; i < 3; i++)
            Assert.That(one[i], Is.EqualTo(expected[i]).Within(Tolerance(dtype) * Math.Max(1, Math.Abs(expected[i]))));
    }

    [Test]
    public void MismatchedSizesAreNamed()
    {
        var x = Tensor.Zeros(new Shape(10));
        var y = Tensor.Zeros(new Shape(11));
        Assert.That(() => x.Backend.RegularizedGradient(x, y, 0, x, false),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contain("param"));
        Assert.That(() => x.Backend.ApplyUpdate(1, x, 0, x, x, y, false),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contain("backup"));
    }
}

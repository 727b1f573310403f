using Kfac.Cpu;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>The elementwise kernels on tensors large enough to be split across threads (the gradient checks use
/// tiny tensors, which run inline), against plain loops.</summary>
public class ParallelElementwiseTests
{
    private const int Rows = 300, Cols = 777; // 233100 elements, above the parallel threshold, odd row length

    private static Tensor Random(int seed, params int[] shape) => Tensor.RandN(new Shape(shape), new System.Random(seed));

    [TestCase(UnaryOp.Sigmoid)]
    [TestCase(UnaryOp.Tanh)]
    [TestCase(UnaryOp.Softplus)]
    [TestCase(UnaryOp.Relu)]
    [TestCase(UnaryOp.Exp)]
    public void UnaryAndDerivative(UnaryOp op)
    {
        var x = Random(1, Rows, Cols);
        var y = Tensor.Empty(x.Shape);
        x.Backend.Unary(op, x, y);
        var dy = Random(2, Rows, Cols);
        var dx = Random(3, Rows, Cols);
        var before = dx.ToArray<float>();
        x.Backend.UnaryDerivativeProduct(op, x, y, dy, dx, accumulate: true);
        var xv = x.ToArray<float>(); var yv = y.ToArray<float>(); var dyv = dy.ToArray<float>(); var dxv = dx.ToArray<float>();
        for (int i = 0; i < xv.Length; i++)
        {
            double v = xv[i];
            (double f, double d) = op switch
            {
                UnaryOp.Sigmoid => (1 / (1 + Math.Exp(-v)), Math.Exp(-v) / Math.Pow(1 + Math.Exp(-v), 2)),
                UnaryOp.Tanh => (Math.Tanh(v), 1 - Math.Tanh(v) * Math.Tanh(v)),
                UnaryOp.Softplus => (Math.Log(1 + Math.Exp(v)), 1 / (1 + Math.Exp(-v))),
                UnaryOp.Relu => (Math.Max(v, 0), v > 0 ? 1 : 0),
                _ => (Math.Exp(v), Math.Exp(v)),
            };
            Assert.That(yv[i], Is.EqualTo(f).Within(1e-5 * Math.Max(1, Math.Abs(f))), $"{op} value at {i}");
            Assert.That(dxv[i], Is.EqualTo(before[i] + dyv[i] * d).Within(1e-5 * Math.Max(1, Math.Abs(dyv[i] * d))), $"{op} derivative at {i}");
        }
    }

    [TestCase(BinaryOp.Add, 1)]
    [TestCase(BinaryOp.Mul, 1)]
    [TestCase(BinaryOp.Sub, Cols)]
    [TestCase(BinaryOp.Div, Rows * Cols)]
    public void BinaryWithRowBroadcast(BinaryOp op, int bSize)
    {
        var a = Random(4, Rows, Cols);
        var b = bSize == Rows * Cols ? Tensor.Rand(new Shape(Rows, Cols), new System.Random(5), 0.5, 2) : Tensor.Rand(new Shape(bSize), new System.Random(5), 0.5, 2);
        var c = Random(6, Rows, Cols);
        var before = c.ToArray<float>();
        var layout = bSize == Rows * Cols ? new BroadcastLayout(1, Rows * Cols, 1, BroadcastSide.None)
            : bSize == 1 ? new BroadcastLayout(Rows * Cols, 1, 1, BroadcastSide.Right) : new BroadcastLayout(Rows, Cols, 1, BroadcastSide.Right);
        a.Backend.Binary(op, a, b, c, layout, accumulate: true);
        var av = a.ToArray<float>(); var bv = b.ToArray<float>(); var cv = c.ToArray<float>();
        for (int i = 0; i < av.Length; i++)
        {
            double bi = bSize == Rows * Cols ? bv[i] : bSize == 1 ? bv[0] : bv[i % Cols];
            double r = op switch { BinaryOp.Add => av[i] + bi, BinaryOp.Sub => av[i] - bi, BinaryOp.Mul => av[i] * bi, _ => av[i] / bi };
            Assert.That(cv[i], Is.EqualTo(before[i] + r).Within(1e-5 * Math.Max(1, Math.Abs(r))), $"{op} at {i}");
        }
    }

    [Test]
    public void AxpbyAndAffine()
    {
        var x = Random(7, Rows, Cols);
        var y = Random(8, Rows, Cols);
        var before = y.ToArray<float>();
        x.Backend.Axpby(0.5, x, -2, y);
        var xv = x.ToArray<float>(); var yv = y.ToArray<float>();
        for (int i = 0; i < xv.Length; i++) Assert.That(yv[i], Is.EqualTo(0.5 * xv[i] - 2 * before[i]).Within(1e-5));
        x.Backend.Affine(x, 3, 1, y);
        yv = y.ToArray<float>();
        for (int i = 0; i < xv.Length; i++) Assert.That(yv[i], Is.EqualTo(3 * xv[i] + 1).Within(1e-5));
    }

    /// <summary>The backend dot product of long float vectors (float chunks accumulated in double) against a plain
    /// double loop, odd lengths included; and it is deterministic.</summary>
    [TestCase(1000)]
    [TestCase(131072)]
    [TestCase(1_000_003)]
    public void DotOfLongVectorsMatchesADoubleLoopAndIsDeterministic(int n)
    {
        var x = Random(11, n);
        var y = Random(12, n);
        var xv = x.ToArray<float>(); var yv = y.ToArray<float>();
        double expected = 0;
        for (int i = 0; i < n; i++) expected += (double)xv[i] * yv[i];
        double actual = x.Backend.Dot(x, y);
        Assert.That(actual, Is.EqualTo(expected).Within(1e-5 * Math.Sqrt(n)), "float products summed in chunks");
        for (int r = 0; r < 5; r++) Assert.That(x.Backend.Dot(x, y), Is.EqualTo(actual), "same bits every call");
    }
    /// <summary>Column sums of a [rows, cols] gradient (a bias gradient: SumToMid with inner = 1), split over blocks of
    /// 64 columns with a ragged last block (777 = 12 x 64 + 9), against a double loop; overwrite and accumulate; the
    /// same bits with one thread as with two.</summary>
    [Test]
    public void ColumnSumsOfALargeGradient([Values] DType dtype, [Values] bool accumulate)
    {
        var x = Tensor.RandN(new Shape(Rows, Cols), new System.Random(21), dtype: dtype);
        var y0 = Tensor.RandN(new Shape(Cols), new System.Random(22), dtype: dtype);
        var xv = x.ToDoubleArray(); var y0v = y0.ToDoubleArray();
        Tensor Run(int threads)
        {
            int saved = CpuParallel.MaxThreads;
            try
            {
                CpuParallel.MaxThreads = threads;
                var y = accumulate ? y0.Clone() : Tensor.Full(new Shape(Cols), double.NaN, dtype);
                x.Backend.SumToMid(x, Rows, Cols, 1, y, accumulate);
                return y;
            }
            finally { CpuParallel.MaxThreads = saved; }
        }
        var two = Run(2).ToDoubleArray();
        for (int c = 0; c < Cols; c++)
        {
            double want = accumulate ? y0v[c] : 0, scale = Math.Abs(want);
            for (int r = 0; r < Rows; r++) { want += xv[r * Cols + c]; scale += Math.Abs(xv[r * Cols + c]); }
            Assert.That(two[c], Is.EqualTo(want).Within((dtype == DType.Float32 ? 1e-6 : 1e-13) * scale), $"column {c}");
        }
        Assert.That(Run(1).ToDoubleArray(), Is.EqualTo(two), "one thread and two give the same bits");
    }

    /// <summary>The adjoint of a full reduction (inner = 1: a scalar, or one value per row, spread over a whole run)
    /// writes or adds that value to every element of its run.</summary>
    [Test]
    public void BroadcastOfAFullReduction([Values] bool accumulate)
    {
        var y = Random(23, Rows, Cols);
        var before = y.ToArray<float>();
        var perRow = Tensor.FromDoubles(Enumerable.Range(0, Rows).Select(r => 0.25 * r - 3).ToArray(), new Shape(Rows), DType.Float32);
        y.Backend.BroadcastAxis(perRow, Rows, Cols, 1, y, accumulate);
        var got = y.ToArray<float>();
        for (int i = 0; i < got.Length; i++)
            Assert.That(got[i], Is.EqualTo((accumulate ? before[i] : 0) + (0.25 * (i / Cols) - 3)).Within(1e-5), $"element {i}");
    }

    /// <summary>The fused Bernoulli loss against double loops on logits spanning [-60, 60] (softplus saturates both
    /// ways) and targets in [0, 1]: the sum (float terms summed in chunks, in double across them: 1e-6 relative
    /// to the sum of |terms|), the gradient scale (sigmoid(z) - t) written and accumulated, the same bits with one
    /// thread as with two.</summary>
    [Test]
    public void SigmoidCrossEntropyFusedMatchesDoubleLoops([Values] DType dtype)
    {
        var z = Tensor.Rand(new Shape(Rows, Cols), new System.Random(24), -60, 60, dtype);
        var t = Tensor.Rand(new Shape(Rows, Cols), new System.Random(25), 0, 1, dtype);
        var zv = z.ToDoubleArray(); var tv = t.ToDoubleArray();
        double want = 0, scale = 0;
        for (int i = 0; i < zv.Length; i++)
        {
            double term = Math.Max(zv[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(zv[i]))) - tv[i] * zv[i];
            want += term;
            scale += Math.Abs(term);
        }
        double got = z.Backend.SigmoidCrossEntropySum(z, t);
        Assert.That(got, Is.EqualTo(want).Within((dtype == DType.Float32 ? 1e-6 : 1e-13) * scale), "sum");
        int saved = CpuParallel.MaxThreads;
        try { CpuParallel.MaxThreads = 1; Assert.That(z.Backend.SigmoidCrossEntropySum(z, t), Is.EqualTo(got), "one thread, same bits"); }
        finally { CpuParallel.MaxThreads = saved; }

        var d0 = Tensor.RandN(z.Shape, new System.Random(26), dtype: dtype);
        var d0v = d0.ToDoubleArray();
        foreach (bool accumulate in new[] { false, true })
        {
            var d = accumulate ? d0.Clone() : Tensor.Full(z.Shape, double.NaN, dtype);
            z.Backend.SigmoidCrossEntropyGradient(z, t, -0.5, d, accumulate);
            var dv = d.ToDoubleArray();
            for (int i = 0; i < zv.Length; i++)
            {
                double r = -0.5 * (1 / (1 + Math.Exp(-zv[i])) - tv[i]) + (accumulate ? d0v[i] : 0);
                Assert.That(dv[i], Is.EqualTo(r).Within(1e-6 * Math.Max(1, Math.Abs(r))), $"gradient at {i}, accumulate={accumulate}");
            }
        }
    }
    /// <summary>Softplus in place (y is x) gives the same bits as into a separate tensor: its kernel saves max(x, 0)
    /// before log1p overwrites x.</summary>
    [Test]
    public void SoftplusInPlaceEqualsOutOfPlace()
    {
        var x = Tensor.Rand(new Shape(Rows, Cols), new System.Random(27), -40, 40);
        var y = Tensor.Empty(x.Shape);
        x.Backend.Unary(UnaryOp.Softplus, x, y);
        var inPlace = x.Clone();
        x.Backend.Unary(UnaryOp.Softplus, inPlace, inPlace);
        Assert.That(inPlace.ToArray<float>(), Is.EqualTo(y.ToArray<float>()));
    }
}

using Kfac.Linalg;
using Kfac.Sampling;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Backends.HostReference;

namespace Kfac.Tests.Backends;

/// <summary>
/// The <see cref="IBackend"/> contract, written once and run per backend (CPU, ILGPU's CPU accelerator, CUDA): each
/// method on random inputs (sizes including 1, odd, non-square, k &gt; m; every transpose combination, broadcast
/// side, dtype, accumulate flag) against a straightforward double-precision host reference computed from the values
/// as stored (float inputs are rounded first).
/// <para>Tolerances: float32 results are compared with a relative error of <see cref="Single"/> = 2e-6 (~16 ulp) of
/// the natural scale of each entry (|result| for pointwise maps, the sum of |terms| for sums and products, so that
/// cancellation is not punished); float64 with <see cref="Wide"/> = 1e-12. Matrix inverses: relative Frobenius error
/// 1e-5 (float) / 1e-10 (double) on well-conditioned matrices.</para>
/// Sizes stay &lt;= 64: ILGPU's CPU accelerator runs GPU kernels about 10^4 times slower than C#.
/// </summary>
public abstract class BackendContractTests
{
    protected const double Single = 2e-6, Wide = 1e-12;
    private TensorScope? _scope;

    protected abstract Device Device { get; }

    private IBackend B => Device.Backend;

    [SetUp]
    public void BeginScope() => _scope = TensorScope.Begin();

    [TearDown]
    public void EndScope() => _scope?.Dispose();

    protected static double Tol(DType dtype) => dtype == DType.Float32 ? Single : Wide;

    /// <summary>The values as a tensor of this dtype would store them.</summary>
    protected static double[] Stored(double[] data, DType dtype) =>
        dtype == DType.Float64 ? (double[])data.Clone() : data.Select(v => (double)(float)v).ToArray();

    protected Tensor Make(double[] data, DType dtype, params int[] shape) => Tensor.FromDoubles(data, new Shape(shape), dtype, Device);

    protected Tensor Filled(double value, DType dtype, params int[] shape) => Tensor.Full(new Shape(shape), value, dtype, Device);

    /// <summary>|got - want| &lt;= tol * scale (scale defaults to |want|, plus a tiny floor); NaN and infinities must match exactly.</summary>
    protected static void Close(double[] got, double[] want, double tol, string what, double[]? scale = null)
    {
        Assert.That(got, Has.Length.EqualTo(want.Length), what);
        for (int i = 0; i < want.Length; i++)
        {
            if (!double.IsFinite(want[i]))
            {
                Assert.That(got[i], Is.EqualTo(want[i]), $"{what}: element {i}");
                continue;
            }
            double s = (scale?[i] ?? Math.Abs(want[i])) + 1e-300;
            Assert.That(Math.Abs(got[i] - want[i]), Is.LessThanOrEqualTo(tol * s),
                $"{what}: element {i} is {got[i]:R}, expected {want[i]:R} (scale {s:G3})");
        }
    }

    // ---- allocation, transfer, fill, copy ----

    [Test]
    public void UploadDownloadRoundTripsAtOffsets([Values] DType dtype)
    {
        var rng = new Random(1);
        var data = Stored(RandomGaussian(rng, 37), dtype);
        var t = Make(new double[37], dtype, 37);
        if (dtype == DType.Float32) B.Upload<float>(data.Skip(5).Select(v => (float)v).ToArray(), t.Storage, 5);
        else B.Upload<double>(data.Skip(5).ToArray(), t.Storage, 5);
        var got = t.ToDoubleArray();
        Assert.That(got.Take(5), Is.All.EqualTo(0));
        Assert.That(got.Skip(5), Is.EqualTo(data.Skip(5)));
        if (dtype == DType.Float32)
        {
            var part = new float[4];
            B.Download<float>(t.Storage, 30, part);
            Assert.That(part.Select(v => (double)v), Is.EqualTo(data.Skip(30).Take(4)));
        }
        Assert.That(t[10], Is.EqualTo(data[10]));
    }

    [Test]
    public void FillAndCopy([Values] DType dtype)
    {
        foreach (int n in new[] { 1, 37 })
        {
            var t = Make(RandomGaussian(new Random(n), n), dtype, n);
            B.Fill(t, -2.5);
            Assert.That(t.ToDoubleArray(), Is.All.EqualTo(-2.5), $"Fill n={n}");
            var src = Stored(RandomGaussian(new Random(n + 1), n), dtype);
            var y = Make(new double[n], dtype, n);
            B.Copy(Make(src, dtype, n), y);
            Assert.That(y.ToDoubleArray(), Is.EqualTo(src), $"Copy n={n}");
        }
    }

    [Test]
    public void AxpbyAndAffine([Values] DType dtype)
    {
        var rng = new Random(2);
        int n = 45;
        var x = Stored(RandomGaussian(rng, n), dtype);
        var y0 = Stored(RandomGaussian(rng, n), dtype);
        foreach (var (alpha, beta) in new[] { (1.5, 0.0), (-0.25, 0.75), (2.0, 1.0) })
        {
            var y = beta == 0 ? Filled(double.NaN, dtype, n) : Make(y0, dtype, n);
            B.Axpby(alpha, Make(x, dtype, n), beta, y);
            var want = x.Select((v, i) => alpha * v + beta * y0[i]).ToArray();
            var scale = x.Select((v, i) => Math.Abs(alpha * v) + Math.Abs(beta * y0[i])).ToArray();
            Close(y.ToDoubleArray(), want, Tol(dtype), $"Axpby alpha={alpha} beta={beta}", scale);
        }
        var z = Filled(double.NaN, dtype, n);
        B.Affine(Make(x, dtype, n), -3, 0.5, z);
        Close(z.ToDoubleArray(), x.Select(v => -3 * v + 0.5).ToArray(), Tol(dtype), "Affine", x.Select(v => Math.Abs(3 * v) + 0.5).ToArray());
    }

    // ---- GEMM ----

    [Test]
    public void GemmMatchesTheReference([Values] DType dtype, [Values] bool transA, [Values] bool transB)
    {
        var rng = new Random(3 + (transA ? 1 : 0) + (transB ? 2 : 0));
        // (m, n, k): ones, odd, non-square, k > m and k > n, and sizes that straddle the 32/64 tiles.
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 7, 3), (3, 4, 37), (33, 17, 20), (64, 40, 64) })
        {
            var a = Stored(RandomGaussian(rng, m * k), dtype);
            var b = Stored(RandomGaussian(rng, k * n), dtype);
            var c0 = Stored(RandomGaussian(rng, m * n), dtype);
            var (ab, abs) = Gemm(transA, transB, m, n, k, a, b);
            foreach (var (alpha, beta) in new[] { (1.0, 0.0), (-0.5, 0.75) })
            {
                var c = beta == 0 ? Filled(double.NaN, dtype, m, n) : Make(c0, dtype, m, n);
                B.Gemm(transA, transB, m, n, k, alpha, Make(a, dtype, transA ? k : m, transA ? m : k), Make(b, dtype, transB ? n : k, transB ? k : n), beta, c);
                var want = ab.Select((v, i) => alpha * v + beta * c0[i]).ToArray();
                var scale = abs.Select((v, i) => Math.Abs(alpha) * v + Math.Abs(beta * c0[i])).ToArray();
                Close(c.ToDoubleArray(), want, Tol(dtype) * Math.Max(1, k / 8.0), $"Gemm({transA}, {transB}) {m}x{n}x{k} alpha={alpha} beta={beta}", scale);
            }
        }
    }

    /// <summary>Sub-matrix GEMM: A, B and C are blocks inside larger tensors (offset, row stride > columns); the
    /// result equals the tight GEMM on the blocks, and C's elements outside its block are untouched.</summary>
    [Test]
    public void GemmOnViewsMatchesTheReference([Values] DType dtype, [Values] bool transA, [Values] bool transB)
    {
        var rng = new Random(11 + (transA ? 1 : 0) + (transB ? 2 : 0));
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 1, 7), (1, 9, 4), (33, 17, 20) })
        {
            int ra = transA ? k : m, ca = transA ? m : k, rb = transB ? n : k, cb = transB ? k : n;
            var a = Stored(RandomGaussian(rng, ra * ca), dtype);
            var b = Stored(RandomGaussian(rng, rb * cb), dtype);
            var c0 = Stored(RandomGaussian(rng, m * n), dtype);
            // Embed each block at an offset with 3 padding columns per row (and 2 elements of slack at the end).
            (Tensor T, MatrixView V, double[] Host) Embed(double[] block, int rows, int cols, int offset)
            {
                int ld = cols + 3;
                var host = Stored(RandomGaussian(rng, offset + rows * ld + 2), dtype);
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++) host[offset + r * ld + c] = block[r * cols + c];
                var t = Make(host, dtype, host.Length);
                return (t, new MatrixView(t, offset, ld), host);
            }
            var (_, av, _) = Embed(a, ra, ca, 2);
            var (_, bv, _) = Embed(b, rb, cb, 5);
            var (ct, cv, cHost) = Embed(c0, m, n, 1);
            const double alpha = -0.5, beta = 0.75;
            B.Gemm(transA, transB, m, n, k, alpha, av, bv, beta, cv);
            var (ab, abs) = Gemm(transA, transB, m, n, k, a, b);
            var got = ct.ToDoubleArray();
            var want = (double[])cHost.Clone();
            var scale = cHost.Select(Math.Abs).ToArray();
            for (int r = 0; r < m; r++)
                for (int c = 0; c < n; c++)
                {
                    int i = 1 + r * (n + 3) + c;
                    want[i] = alpha * ab[r * n + c] + beta * c0[r * n + c];
                    scale[i] = Math.Abs(alpha) * abs[r * n + c] + Math.Abs(beta * c0[r * n + c]);
                }
            Close(got, want, Tol(dtype) * Math.Max(1, k / 8.0), $"Gemm on views ({transA}, {transB}) {m}x{n}x{k}", scale);
        }
    }

    [Test]
    public void GemmOnViewsRejectsAViewThatDoesNotFit()
    {
        var a = Filled(1, DType.Float32, 4, 4);
        var c = Filled(0, DType.Float32, 4, 4);
        // a 3 x 3 op(B) at offset 2 with ld 4 ends at 2 + 2 * 4 + 3 = 13 <= 16: fits; at offset 6 it reaches 17.
        Assert.That(() => B.Gemm(false, false, 3, 3, 3, 1, new MatrixView(a, 0, 4), new MatrixView(a, 6, 4), 0, new MatrixView(c, 0, 4)),
            Throws.ArgumentException.With.Message.Contain("'b'").And.Message.Contain("[4, 4]").And.Message.Contain("17"));
        Assert.That(() => B.Gemm(false, false, 3, 3, 3, 1, new MatrixView(a, 0, 2), new MatrixView(a, 0, 4), 0, new MatrixView(c, 0, 4)),
            Throws.ArgumentException.With.Message.Contain("'a'").And.Message.Contain("ld 2"));
    }

    private static int Size(int raw, int max) => 1 + (int)((uint)raw % (uint)max);

    /// <summary>Random shapes (1..40 on each axis, any transposes): the tile edges fall anywhere.</summary>
    [FsCheck.NUnit.Property(MaxTest = 10)]
    public void GemmAnyShape(int rawM, int rawN, int rawK, bool transA, bool transB, int seed)
    {
        int m = Size(rawM, 40), n = Size(rawN, 40), k = Size(rawK, 40);
        var rng = new Random(seed);
        var a = Stored(RandomGaussian(rng, m * k), DType.Float32);
        var b = Stored(RandomGaussian(rng, k * n), DType.Float32);
        var c = Filled(double.NaN, DType.Float32, m, n);
        B.Gemm(transA, transB, m, n, k, 1, Make(a, DType.Float32, m * k), Make(b, DType.Float32, k * n), 0, c);
        var (want, scale) = Gemm(transA, transB, m, n, k, a, b);
        Close(c.ToDoubleArray(), want, Single * Math.Max(1, k / 8.0), $"Gemm({transA}, {transB}) {m}x{n}x{k}", scale);
    }

    /// <summary>Random [outer, mid, inner] views: SumToMid and the broadcast it is the adjoint of.</summary>
    [FsCheck.NUnit.Property(MaxTest = 10)]
    public void SumToMidAnyLayout(int rawOuter, int rawMid, int rawInner, int seed)
    {
        int o = Size(rawOuter, 9), d = Size(rawMid, 9), n = Size(rawInner, 9);
        var x = Stored(RandomGaussian(new Random(seed), o * d * n), DType.Float64);
        var y = Filled(double.NaN, DType.Float64, d);
        B.SumToMid(Make(x, DType.Float64, o * d * n), o, d, n, y, false);
        var want = new double[d];
        for (int l = 0; l < x.Length; l++) want[l / n % d] += x[l];
        Close(y.ToDoubleArray(), want, Wide, $"SumToMid [{o}, {d}, {n}]", Enumerable.Repeat(x.Sum(Math.Abs), d).ToArray());
    }

    [Test]
    public void Transpose([Values] DType dtype)
    {
        foreach (var (r, c) in new[] { (1, 1), (5, 3), (33, 40) })
        {
            var x = Stored(RandomGaussian(new Random(r * c), r * c), dtype);
            var y = Filled(double.NaN, dtype, c, r);
            B.Transpose(Make(x, dtype, r, c), r, c, y);
            var got = y.ToDoubleArray();
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++)
                    Assert.That(got[j * r + i], Is.EqualTo(x[i * c + j]), $"{r}x{c}: ({i}, {j})");
        }
    }

    // ---- pointwise ----

    private static double[] UnaryInputs(UnaryOp op, Random rng, int n)
    {
        var v = RandomGaussian(rng, n, 3);
        if (op is UnaryOp.Log or UnaryOp.Sqrt) v = v.Select(x => Math.Abs(x) + 1e-3).ToArray();
        if (op is UnaryOp.Tanh or UnaryOp.Sigmoid or UnaryOp.Softplus or UnaryOp.Exp)
        {
            // extremes: overflow-prone arguments and values near 0
            v[0] = 40; v[1] = -40; v[2] = 1e-4; v[3] = -1e-5;
        }
        v[4] = 0.5;
        return v;
    }

    /// <summary>An op code outside its enum (a cast integer) is refused by name before anything runs: no kernel
    /// computes some other function for it, and the output is left as it was.</summary>
    [Test]
    public void OpCodesOutsideTheirEnumsAreRefused()
    {
        var x = Make([0.25, 0.5, 1], DType.Float32, 3);
        var y = Filled(7, DType.Float32, 3);
        var undefinedUnary = (UnaryOp)Enum.GetValues<UnaryOp>().Length;
        var undefinedBinary = (BinaryOp)Enum.GetValues<BinaryOp>().Length;
        Assert.Multiple(() =>
        {
            Assert.That(() => B.Unary(undefinedUnary, x, y),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("op"));
            Assert.That(() => B.UnaryDerivativeProduct(undefinedUnary, x, x, x, y, accumulate: false),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("op"));
            Assert.That(() => B.Binary(undefinedBinary, x, x, y, new BroadcastLayout(1, 3, 1, BroadcastSide.None), accumulate: false),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("op"));
            Assert.That(() => B.Binary(BinaryOp.Add, x, x, y, new BroadcastLayout(1, 3, 1, (BroadcastSide)7), accumulate: false),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("layout"));
            Assert.That(y.ToDoubleArray(), Is.EqualTo(new double[] { 7, 7, 7 }), "the output is untouched");
        });
    }

    [Test]
    public void UnaryOpsMatchTheReference([Values] DType dtype)
    {
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            var x = Stored(UnaryInputs(op, new Random(10 + (int)op), 29), dtype);
            var y = Filled(double.NaN, dtype, 29);
            B.Unary(op, Make(x, dtype, 29), y);
            var want = x.Select(v => Unary((int)op, v)).ToArray();
            // Relative accuracy everywhere, except where the CPU backend (TensorPrimitives) is only absolutely
            // accurate, so the test allows tol * 0.1 absolute: float tanh near 0 (3.3e-4 relative error at x = 1e-4,
            // 4.6e-8 absolute at x = -1e-5, measured) and softplus far below 0 (log1p computed as log(1 + y) returns
            // 0 for softplus(-40) = 4.2e-18).
            bool absolute = op == UnaryOp.Softplus || (op == UnaryOp.Tanh && dtype == DType.Float32);
            var scale = absolute ? want.Select(v => Math.Max(Math.Abs(v), 0.1)).ToArray() : null;
            Close(y.ToDoubleArray(), want, Tol(dtype), $"{op}", scale);
        }
    }

    [Test]
    public void UnaryNaNPropagates([Values] DType dtype)
    {
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            var y = Filled(0, dtype, 1);
            B.Unary(op, Make([double.NaN], dtype, 1), y);
            Assert.That(double.IsNaN(y.ToDoubleArray()[0]), Is.True, $"{op}(NaN)");
        }
    }

    [Test]
    public void UnaryDerivativeProducts([Values] DType dtype, [Values] bool accumulate)
    {
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            int n = 23;
            var rng = new Random(20 + (int)op);
            var x = Stored(UnaryInputs(op, rng, n), dtype);
            if (op == UnaryOp.Relu) x[5] = 0; // the subgradient at 0 is 0
            var y = Stored(x.Select(v => Unary((int)op, v)).ToArray(), dtype);
            var dy = Stored(RandomGaussian(rng, n), dtype);
            var dx0 = Stored(RandomGaussian(rng, n), dtype);
            var dx = accumulate ? Make(dx0, dtype, n) : Filled(double.NaN, dtype, n);
            B.UnaryDerivativeProduct(op, Make(x, dtype, n), Make(y, dtype, n), Make(dy, dtype, n), dx, accumulate);
            // The backends may take f' from y = f(x) (as stored), so the reference does too where the CPU backend does.
            double Deriv(int i) => op switch
            {
                UnaryOp.Exp => y[i],
                UnaryOp.Tanh => 1 - y[i] * y[i],
                UnaryOp.Sigmoid => y[i] * (1 - y[i]),
                UnaryOp.Sqrt => 0.5 / y[i],
                _ => Derivative((int)op, x[i]),
            };
            var want = dy.Select((g, i) => g * Deriv(i) + (accumulate ? dx0[i] : 0)).ToArray();
            var scale = dy.Select((g, i) => Math.Abs(g) * (Math.Abs(Deriv(i)) + 1) + (accumulate ? Math.Abs(dx0[i]) : 0)).ToArray();
            Close(dx.ToDoubleArray(), want, 2 * Tol(dtype), $"d{op} accumulate={accumulate}", scale);
        }
    }

    private static IEnumerable<BroadcastLayout> Layouts(BroadcastSide side) => side == BroadcastSide.None
        ? [new(1, 1, 1, side), new(1, 35, 1, side)]
        : [new(6, 5, 1, side), new(1, 6, 5, side), new(2, 3, 4, side), new(21, 1, 1, side)];

    [Test]
    public void BinaryOpsOverEveryLayout([Values] DType dtype, [Values] BroadcastSide side)
    {
        var rng = new Random(30 + (int)side);
        int k = 0;
        foreach (var layout in Layouts(side))
            foreach (var op in Enum.GetValues<BinaryOp>())
            {
                bool accumulate = (k++ & 1) == 1;
                int total = layout.Total;
                int na = side == BroadcastSide.Left ? layout.Mid : total, nb = side == BroadcastSide.Right ? layout.Mid : total;
                var a = Stored(RandomGaussian(rng, na), dtype);
                var b = Stored(RandomGaussian(rng, nb).Select(v => op == BinaryOp.Div ? Math.Sign(v) * (Math.Abs(v) + 0.5) : v).ToArray(), dtype);
                var c0 = Stored(RandomGaussian(rng, total), dtype);
                var c = accumulate ? Make(c0, dtype, total) : Filled(double.NaN, dtype, total);
                B.Binary(op, Make(a, dtype, na), Make(b, dtype, nb), c, layout, accumulate);
                var want = new double[total];
                var scale = new double[total];
                for (int l = 0; l < total; l++)
                {
                    int m = l / layout.Inner % layout.Mid;
                    double av = a[side == BroadcastSide.Left ? m : l], bv = b[side == BroadcastSide.Right ? m : l];
                    double v = Binary((int)op, av, bv);
                    want[l] = v + (accumulate ? c0[l] : 0);
                    scale[l] = (op is BinaryOp.Add or BinaryOp.Sub ? Math.Abs(av) + Math.Abs(bv) : Math.Abs(v)) + (accumulate ? Math.Abs(c0[l]) : 0);
                }
                Close(c.ToDoubleArray(), want, Tol(dtype), $"{op} {layout} accumulate={accumulate}", scale);
            }
    }

    // ---- reductions and their adjoints ----

    private static readonly (int Outer, int Dim, int Inner)[] AxisShapes = [(1, 5, 1), (3, 7, 1), (2, 5, 4), (1, 9, 6), (4, 1, 3), (3, 2, 1)];

    [Test]
    public void SumAxisSumToMidBroadcastAxis([Values] DType dtype, [Values] bool accumulate)
    {
        var rng = new Random(40);
        foreach (var (o, d, n) in AxisShapes)
        {
            var x = Stored(RandomGaussian(rng, o * d * n), dtype);

            var y0 = Stored(RandomGaussian(rng, o * n), dtype);
            var y = accumulate ? Make(y0, dtype, o * n) : Filled(double.NaN, dtype, o * n);
            B.SumAxis(Make(x, dtype, o * d * n), o, d, n, y, accumulate);
            var want = new double[o * n];
            var scale = new double[o * n];
            for (int a = 0; a < o; a++)
                for (int i = 0; i < n; i++)
                {
                    for (int e = 0; e < d; e++) { want[a * n + i] += x[(a * d + e) * n + i]; scale[a * n + i] += Math.Abs(x[(a * d + e) * n + i]); }
                    if (accumulate) { want[a * n + i] += y0[a * n + i]; scale[a * n + i] += Math.Abs(y0[a * n + i]); }
                }
            Close(y.ToDoubleArray(), want, Tol(dtype), $"SumAxis [{o}, {d}, {n}] accumulate={accumulate}", scale);

            var m0 = Stored(RandomGaussian(rng, d), dtype);
            var mid = accumulate ? Make(m0, dtype, d) : Filled(double.NaN, dtype, d);
            B.SumToMid(Make(x, dtype, o * d * n), o, d, n, mid, accumulate);
            var wantMid = new double[d];
            var scaleMid = new double[d];
            for (int e = 0; e < d; e++)
            {
                for (int a = 0; a < o; a++)
                    for (int i = 0; i < n; i++) { wantMid[e] += x[(a * d + e) * n + i]; scaleMid[e] += Math.Abs(x[(a * d + e) * n + i]); }
                if (accumulate) { wantMid[e] += m0[e]; scaleMid[e] += Math.Abs(m0[e]); }
            }
            Close(mid.ToDoubleArray(), wantMid, Tol(dtype), $"SumToMid [{o}, {d}, {n}] accumulate={accumulate}", scaleMid);

            var small = Stored(RandomGaussian(rng, o * n), dtype);
            var big0 = Stored(RandomGaussian(rng, o * d * n), dtype);
            var big = accumulate ? Make(big0, dtype, o * d * n) : Filled(double.NaN, dtype, o * d * n);
            B.BroadcastAxis(Make(small, dtype, o * n), o, d, n, big, accumulate);
            var wantBig = new double[o * d * n];
            for (int l = 0; l < wantBig.Length; l++)
                wantBig[l] = small[l / (d * n) * n + l % n] + (accumulate ? big0[l] : 0);
            Close(big.ToDoubleArray(), wantBig, Tol(dtype), $"BroadcastAxis [{o}, {d}, {n}] accumulate={accumulate}",
                wantBig.Select((_, l) => Math.Abs(small[l / (d * n) * n + l % n]) + (accumulate ? Math.Abs(big0[l]) : 0)).ToArray());
        }
    }

    /// <summary>The Bernoulli loss sum_i softplus(z_i) - t_i z_i and its gradient dz (+)= scale (sigmoid(z) - t), on
    /// logits from -40 to 40 (both saturations) and targets in [0, 1], lengths 1, odd and 64.</summary>
    [Test]
    public void SigmoidCrossEntropySumAndGradient([Values] DType dtype, [Values] bool accumulate)
    {
        var rng = new Random(44);
        foreach (int n in new[] { 1, 23, 64 })
        {
            var z = Stored(Enumerable.Range(0, n).Select(_ => 80 * rng.NextDouble() - 40).ToArray(), dtype);
            var t = Stored(Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray(), dtype);
            var terms = z.Select((v, i) => Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v))) - t[i] * v).ToArray();
            double got = B.SigmoidCrossEntropySum(Make(z, dtype, n), Make(t, dtype, n));
            Close([got], [terms.Sum()], Tol(dtype) * 4, $"SigmoidCrossEntropySum n={n}", [terms.Sum(Math.Abs) + z.Sum(Math.Abs)]);

            var d0 = Stored(RandomGaussian(rng, n), dtype);
            var d = accumulate ? Make(d0, dtype, n) : Filled(double.NaN, dtype, n);
            B.SigmoidCrossEntropyGradient(Make(z, dtype, n), Make(t, dtype, n), 0.75, d, accumulate);
            var want = z.Select((v, i) => 0.75 * (1 / (1 + Math.Exp(-v)) - t[i]) + (accumulate ? d0[i] : 0)).ToArray();
            var scale = z.Select((v, i) => 0.75 * (1 + t[i]) + (accumulate ? Math.Abs(d0[i]) : 0)).ToArray();
            Close(d.ToDoubleArray(), want, Tol(dtype) * 4, $"SigmoidCrossEntropyGradient n={n} accumulate={accumulate}", scale);
        }
    }

    /// <summary>Fused inner products (one tensor in several pairs, lengths straddling the 1024-element chunks)
    /// equal the host sums; pairs of different lengths still give each pair's own dot product.</summary>
    [Test]
    public void DotsOfSeveralPairsEqualEachDot([Values] DType dtype)
    {
        foreach (int n in new[] { 1, 1023, 2500 })
        {
            var rng = new Random(60 + n);
            var g = Stored(RandomGaussian(rng, n), dtype);
            var d = Stored(RandomGaussian(rng, n), dtype);
            var p = Stored(RandomGaussian(rng, n), dtype);
            Tensor tg = Make(g, dtype, n), td = Make(d, dtype, n), tp = Make(p, dtype, n);
            var got = new double[3];
            B.Dots([tg, td, td], [td, td, tp], got);
            double[][] left = [g, d, d], right = [d, d, p];
            for (int q = 0; q < 3; q++)
            {
                double want = left[q].Zip(right[q], (a, b) => a * b).Sum(), scale = left[q].Zip(right[q], (a, b) => Math.Abs(a * b)).Sum();
                Assert.That(got[q], Is.EqualTo(want).Within(Tol(dtype) * scale), $"Dots pair {q}, n = {n}");
            }
        }
        var mixed = new double[2];
        B.Dots([Make([1, 2], dtype, 2), Make([3], dtype, 1)], [Make([4, 5], dtype, 2), Make([6], dtype, 1)], mixed);
        Assert.That(mixed, Is.EqualTo(new[] { 14.0, 18.0 }));
    }

    /// <summary>EntropySum equals sum -p ln p (- (1 - p) ln(1 - p) when binary) in double, with 0 ln 0 = 0, over lengths
    /// straddling the CPU's 512-element chunks and 65536-element parallel blocks; binary values give exactly 0; a value
    /// outside [0, 1] or NaN anywhere gives -infinity.</summary>
    [Test]
    public void EntropySumMatchesTheDefinition([Values] DType dtype, [Values] bool binary)
    {
        static double Plogp(double v) => v > 0 ? v * Math.Log(v) : 0;
        foreach (int n in new[] { 1, 511, 1300, 140_001 })
        {
            var rng = new Random(70 + n);
            // Soft values, with exact 0s and 1s mixed in.
            var p = Stored(Enumerable.Range(0, n).Select(i => i % 7 == 0 ? 0.0 : i % 11 == 0 ? 1.0 : rng.NextDouble()).ToArray(), dtype);
            double want = -p.Sum(v => Plogp(v) + (binary ? Plogp(1 - v) : 0));
            double scale = p.Sum(v => Math.Abs(Plogp(v)) + (binary ? Math.Abs(Plogp(1 - v)) : 0));
            Assert.That(B.EntropySum(Make(p, dtype, n), binary), Is.EqualTo(want).Within(Tol(dtype) * scale + 1e-300), $"n = {n}");
        }
        Assert.That(B.EntropySum(Make([0, 1, 1, 0, 1], dtype, 5), binary), Is.EqualTo(0.0), "binary values");
        foreach (double bad in new[] { -0.25, 1.5, double.NaN })
        {
            var values = Enumerable.Repeat(0.5, 700).ToArray();
            values[650] = bad;
            Assert.That(B.EntropySum(Make(values, dtype, 700), binary), Is.EqualTo(double.NegativeInfinity), $"an element {bad}");
        }
    }

    [Test]
    public void SumDotAllFinite([Values] DType dtype)
    {
        foreach (int n in new[] { 1, 100, 1000 })
        {
            var rng = new Random(50 + n);
            var x = Stored(RandomGaussian(rng, n), dtype);
            var y = Stored(RandomGaussian(rng, n), dtype);
            var tx = Make(x, dtype, n);
            double scale = x.Sum(Math.Abs);
            Assert.That(B.Sum(tx), Is.EqualTo(x.Sum()).Within(Tol(dtype) * scale), $"Sum n={n}");
            Assert.That(B.Dot(tx, Make(y, dtype, n)), Is.EqualTo(x.Zip(y, (a, b) => a * b).Sum()).Within(Tol(dtype) * x.Zip(y, (a, b) => Math.Abs(a * b)).Sum()), $"Dot n={n}");
            Assert.That(B.AllFinite(tx), Is.True, $"AllFinite n={n}");
            foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            {
                var z = (double[])x.Clone();
                z[n / 2] = bad;
                Assert.That(B.AllFinite(Make(z, dtype, n)), Is.False, $"AllFinite with {bad} n={n}");
            }
        }
    }

    // ---- log-softmax, log-sum-exp ----

    private static double[] Logits(Random rng, int rows, int cols)
    {
        var x = RandomGaussian(rng, rows * cols, 2);
        if (rows > 1) for (int c = 0; c < cols; c++) x[cols + c] += 500; // a shifted row: max-shifting must hold
        return x;
    }

    [Test]
    public void LogSoftmaxForwardBackwardJvp([Values] DType dtype, [Values] bool accumulate)
    {
        foreach (var (r, c) in new[] { (1, 1), (3, 7), (5, 33) })
        {
            var rng = new Random(60 + r * c);
            var x = Stored(Logits(rng, r, c), dtype);
            var y = Filled(double.NaN, dtype, r, c);
            B.LogSoftmax(Make(x, dtype, r, c), r, c, y);
            var want = new double[r * c];
            for (int i = 0; i < r; i++)
            {
                double lse = LogSumExp(x, i * c, c);
                for (int j = 0; j < c; j++) want[i * c + j] = x[i * c + j] - lse;
            }
            var scale = x.Select((v, l) => Math.Abs(v) + Math.Abs(want[l]) + 1).ToArray();
            var got = y.ToDoubleArray();
            Close(got, want, Tol(dtype), $"LogSoftmax {r}x{c}", scale);

            var ys = Stored(want, dtype);
            var dy = Stored(RandomGaussian(rng, r * c), dtype);
            var dx0 = Stored(RandomGaussian(rng, r * c), dtype);
            var dx = accumulate ? Make(dx0, dtype, r, c) : Filled(double.NaN, dtype, r, c);
            B.LogSoftmaxBackward(Make(ys, dtype, r, c), Make(dy, dtype, r, c), r, c, dx, accumulate);
            var wantDx = new double[r * c];
            var scaleDx = new double[r * c];
            for (int i = 0; i < r; i++)
            {
                double s = 0, sa = 0;
                for (int j = 0; j < c; j++) { s += dy[i * c + j]; sa += Math.Abs(dy[i * c + j]); }
                for (int j = 0; j < c; j++)
                {
                    int l = i * c + j;
                    wantDx[l] = dy[l] - Math.Exp(ys[l]) * s + (accumulate ? dx0[l] : 0);
                    scaleDx[l] = Math.Abs(dy[l]) + sa + (accumulate ? Math.Abs(dx0[l]) : 0);
                }
            }
            Close(dx.ToDoubleArray(), wantDx, 2 * Tol(dtype), $"LogSoftmaxBackward {r}x{c} accumulate={accumulate}", scaleDx);

            if (!accumulate) continue; // the JVP has no accumulate flag: run it once per shape
            var tx = Stored(RandomGaussian(rng, r * c), dtype);
            var ty = Filled(double.NaN, dtype, r, c);
            B.LogSoftmaxJvp(Make(ys, dtype, r, c), Make(tx, dtype, r, c), r, c, ty);
            var wantTy = new double[r * c];
            var scaleTy = new double[r * c];
            for (int i = 0; i < r; i++)
            {
                double d = 0, da = 0;
                for (int j = 0; j < c; j++) { d += Math.Exp(ys[i * c + j]) * tx[i * c + j]; da += Math.Abs(Math.Exp(ys[i * c + j]) * tx[i * c + j]); }
                for (int j = 0; j < c; j++) { wantTy[i * c + j] = tx[i * c + j] - d; scaleTy[i * c + j] = Math.Abs(tx[i * c + j]) + da; }
            }
            Close(ty.ToDoubleArray(), wantTy, 2 * Tol(dtype), $"LogSoftmaxJvp {r}x{c}", scaleTy);
        }
    }

    [Test]
    public void LogSumExpForwardBackwardJvp([Values] DType dtype, [Values] bool accumulate)
    {
        foreach (var (r, c) in new[] { (1, 1), (3, 7), (5, 33) })
        {
            var rng = new Random(70 + r * c);
            var x = Stored(Logits(rng, r, c), dtype);
            var y = Filled(double.NaN, dtype, r);
            B.LogSumExp(Make(x, dtype, r, c), r, c, y);
            var want = Enumerable.Range(0, r).Select(i => LogSumExp(x, i * c, c)).ToArray();
            Close(y.ToDoubleArray(), want, Tol(dtype), $"LogSumExp {r}x{c}", want.Select(v => Math.Abs(v) + 1).ToArray());

            var ys = Stored(want, dtype);
            var dy = Stored(RandomGaussian(rng, r), dtype);
            var dx0 = Stored(RandomGaussian(rng, r * c), dtype);
            var dx = accumulate ? Make(dx0, dtype, r, c) : Filled(double.NaN, dtype, r, c);
            B.LogSumExpBackward(Make(x, dtype, r, c), Make(ys, dtype, r), Make(dy, dtype, r), r, c, dx, accumulate);
            var wantDx = new double[r * c];
            var scaleDx = new double[r * c];
            for (int l = 0; l < r * c; l++)
            {
                double p = Math.Exp(x[l] - ys[l / c]);
                wantDx[l] = dy[l / c] * p + (accumulate ? dx0[l] : 0);
                // exp(x - y) with y rounded: relative error up to |y| ulp(1)
                scaleDx[l] = Math.Abs(dy[l / c] * p) * (1 + Math.Abs(ys[l / c]) + Math.Abs(x[l])) + (accumulate ? Math.Abs(dx0[l]) : 0);
            }
            Close(dx.ToDoubleArray(), wantDx, Tol(dtype), $"LogSumExpBackward {r}x{c} accumulate={accumulate}", scaleDx);

            if (!accumulate) continue;
            var tx = Stored(RandomGaussian(rng, r * c), dtype);
            var ty = Filled(double.NaN, dtype, r);
            B.LogSumExpJvp(Make(x, dtype, r, c), Make(ys, dtype, r), Make(tx, dtype, r, c), r, c, ty);
            var wantTy = new double[r];
            var scaleTy = new double[r];
            for (int l = 0; l < r * c; l++)
            {
                double t = Math.Exp(x[l] - ys[l / c]) * tx[l];
                wantTy[l / c] += t;
                scaleTy[l / c] += Math.Abs(t) * (1 + Math.Abs(ys[l / c]) + Math.Abs(x[l]));
            }
            Close(ty.ToDoubleArray(), wantTy, Tol(dtype), $"LogSumExpJvp {r}x{c}", scaleTy);
        }
    }

    // ---- curvature primitives ----

    /// <summary>Syrk: C = beta C + alpha X^T X for X [k, n]; SyrkTransposed: C = beta C + alpha X X^T for X [n, k].</summary>
    [Test]
    public void SyrkIsTheEmaOfTheCovarianceAndExactlySymmetric([Values] DType dtype, [Values] bool transposed)
    {
        var rng = new Random(transposed ? 81 : 80);
        // (k, n): k examples of n features.
        foreach (var (k, n) in new[] { (1, 1), (7, 5), (3, 9), (40, 33), (64, 64) })
        {
            var x = Stored(RandomGaussian(rng, k * n), dtype);
            var sym = RandomGaussian(rng, n * n);
            var c0 = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) c0[i * n + j] = sym[Math.Max(i, j) * n + Math.Min(i, j)];
            c0 = Stored(c0, dtype);
            var (cov, abs) = transposed ? Gemm(false, true, n, n, k, x, x) : Gemm(true, false, n, n, k, x, x);
            string what = transposed ? $"SyrkTransposed {n}x{k}" : $"Syrk {k}x{n}";
            foreach (var (alpha, beta) in new[] { (1.0, 0.0), (0.3 / k, 0.7) })
            {
                var c = beta == 0 ? Filled(double.NaN, dtype, n, n) : Make(c0, dtype, n, n);
                if (transposed) B.SyrkTransposed(Make(x, dtype, n, k), n, k, alpha, beta, c);
                else B.Syrk(Make(x, dtype, k, n), k, n, alpha, beta, c);
                var got = c.ToDoubleArray();
                var want = cov.Select((v, l) => alpha * v + beta * c0[l]).ToArray();
                var scale = abs.Select((v, l) => Math.Abs(alpha) * v + Math.Abs(beta * c0[l])).ToArray();
                Close(got, want, Tol(dtype) * Math.Max(1, k / 8.0), $"{what} alpha={alpha} beta={beta}", scale);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < i; j++)
                        Assert.That(got[j * n + i], Is.EqualTo(got[i * n + j]), $"{what}: ({i}, {j}) is not mirrored exactly");
            }
        }
    }

    /// <summary>MirrorLower copies the lower triangle over whatever the upper one holds (garbage, NaN), leaves the
    /// lower one bit for bit, and only touches the n x n matrix; the interface's default (through host memory, for
    /// backends without their own) does the same.</summary>
    [Test]
    public void MirrorLowerOverwritesAnyUpperTriangle([Values] DType dtype, [Values] bool interfaceDefault)
    {
        var rng = new Random(84);
        foreach (int n in new[] { 1, 2, 7, 33, 70 })
        {
            var data = Stored(RandomGaussian(rng, n * n), dtype);
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) data[i * n + j] = (i + j) % 3 == 0 ? double.NaN : 1e6 + j;
            var c = Make(data, dtype, n, n);
            if (interfaceDefault) IBackend.MirrorLowerOnHost(B, c, n);
            else B.MirrorLower(c, n);
            var got = c.ToDoubleArray();
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    Assert.That(got[i * n + j], Is.EqualTo(data[Math.Max(i, j) * n + Math.Min(i, j)]), $"n = {n}: ({i}, {j})");
        }
        Assert.Throws<ArgumentException>(() => B.MirrorLower(Filled(0, dtype, 3, 3), 4));
    }

    /// <summary>SyrkLower / SyrkTransposedLower update the lower triangle exactly as Syrk / SyrkTransposed do (bit for
    /// bit), whatever they leave above it, and MirrorLower then gives Syrk's whole result, over several EMA steps with
    /// the upper triangle never mirrored in between (how K-FAC's factors are kept).</summary>
    [Test]
    public void SyrkLowerThenMirrorLowerIsSyrk([Values] DType dtype, [Values] bool transposed)
    {
        var rng = new Random(transposed ? 83 : 82);
        foreach (var (k, n) in new[] { (1, 1), (7, 5), (3, 9), (40, 33), (64, 64), (5, 70) })
        {
            string what = transposed ? $"SyrkTransposedLower {n}x{k}" : $"SyrkLower {k}x{n}";
            var full = Filled(0, dtype, n, n);
            var lower = Filled(0, dtype, n, n);
            for (int step = 0; step < 3; step++)
            {
                var x = Stored(RandomGaussian(rng, k * n), dtype);
                double alpha = 0.3 / k, beta = step == 0 ? 0 : 0.7;
                if (transposed)
                {
                    B.SyrkTransposed(Make(x, dtype, n, k), n, k, alpha, beta, full);
                    B.SyrkTransposedLower(Make(x, dtype, n, k), n, k, alpha, beta, lower);
                }
                else
                {
                    B.Syrk(Make(x, dtype, k, n), k, n, alpha, beta, full);
                    B.SyrkLower(Make(x, dtype, k, n), k, n, alpha, beta, lower);
                }
                double[] want = full.ToDoubleArray(), got = lower.ToDoubleArray();
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++)
                        Assert.That(got[i * n + j], Is.EqualTo(want[i * n + j]), $"{what} step {step}: lower ({i}, {j})");
            }
            B.MirrorLower(lower, n);
            Assert.That(lower.ToDoubleArray(), Is.EqualTo(full.ToDoubleArray()), $"{what}: mirrored");
        }
    }

    [Test]
    public void CopyBlockFillBlockAddToDiagonalTrace([Values] DType dtype)
    {
        var rng = new Random(90);
        // [x | 1] for x 5 x 4, then split it back (what K-FAC does with [dW | db]).
        var x = Stored(RandomGaussian(rng, 20), dtype);
        var xbar = Filled(double.NaN, dtype, 5, 5);
        B.CopyBlock(Make(x, dtype, 5, 4), 0, 4, xbar, 0, 5, 5, 4);
        B.FillBlock(xbar, 4, 5, 5, 1, 1);
        var got = xbar.ToDoubleArray();
        for (int r = 0; r < 5; r++)
        {
            for (int c = 0; c < 4; c++) Assert.That(got[r * 5 + c], Is.EqualTo(x[r * 4 + c]), $"CopyBlock ({r}, {c})");
            Assert.That(got[r * 5 + 4], Is.EqualTo(1), $"FillBlock row {r}");
        }
        var column = Filled(-7, dtype, 5);
        B.CopyBlock(xbar, 2, 5, column, 0, 1, 5, 1);
        Assert.That(column.ToDoubleArray(), Is.EqualTo(Enumerable.Range(0, 5).Select(r => x[r * 4 + 2])));

        foreach (int n in new[] { 1, 6, 33 })
        {
            var a = Stored(RandomGaussian(rng, n * n), dtype);
            var t = Make(a, dtype, n, n);
            double trace = Enumerable.Range(0, n).Sum(i => a[i * n + i]);
            Assert.That(B.Trace(t, n), Is.EqualTo(trace).Within(Tol(dtype) * Enumerable.Range(0, n).Sum(i => Math.Abs(a[i * n + i]))), $"Trace n={n}");
            B.AddToDiagonal(t, n, 0.75);
            var want = a.Select((v, l) => l / n == l % n ? v + 0.75 : v).ToArray();
            Close(t.ToDoubleArray(), want, Tol(dtype), $"AddToDiagonal n={n}", a.Select(v => Math.Abs(v) + 0.75).ToArray());
        }
    }

    private static double RelativeFrobenius(double[] got, double[] want)
    {
        double num = 0, den = 0;
        for (int i = 0; i < want.Length; i++) { num += (got[i] - want[i]) * (got[i] - want[i]); den += want[i] * want[i]; }
        return Math.Sqrt(num / den);
    }

    [Test]
    public void SpdInverseIsTheDampedInverseOfTheSymmetrisedInput([Values] DType dtype)
    {
        var rng = new Random(100);
        foreach (var (n, damping) in new[] { (1, 0.0), (5, 0.5), (33, 0.0), (64, 0.1) })
        {
            var a = RandomSpd(rng, n, 0.5);
            var noise = RandomGaussian(rng, n * n, 1e-3); // asymmetric rounding-like noise: must be symmetrised away
            a = Stored(a.Select((v, l) => v + noise[l]).ToArray(), dtype);
            var inv = Filled(double.NaN, dtype, n, n);
            B.SpdInverse(Make(a, dtype, n, n), n, damping, inv);
            var got = inv.ToDoubleArray();
            var want = DampedSymmetricInverse(a, n, damping);
            Assert.That(RelativeFrobenius(got, want), Is.LessThan(dtype == DType.Float32 ? 1e-5 : 1e-10), $"SpdInverse n={n} damping={damping}");
            for (int i = 0; i < n; i++)
                for (int j = 0; j < i; j++)
                    Assert.That(got[j * n + i], Is.EqualTo(got[i * n + j]), $"SpdInverse n={n}: ({i}, {j}) not exactly symmetric");
        }
    }

    /// <summary>
    /// A float matrix that is exactly SPD as stored but too ill-conditioned for a float32 Cholesky (the construction
    /// of GuardedSpdInverseTests: v v^T + 2^-23 I with v_i in {8..16}/16, cond ~ 3e8): a backend must fall back to
    /// float64, and then the only error left is the final rounding to float.
    /// </summary>
    [Test]
    public void SpdInverseFallsBackToFloat64WhenFloat32Fails()
    {
        int n = 64;
        var rng = new Random(7);
        var v = Enumerable.Range(0, n).Select(_ => rng.Next(8, 17) / 16.0).ToArray();
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i * n + j] = v[i] * v[j] + (i == j ? 1.0 / (1 << 23) : 0);
        var t = Make(a, DType.Float32, n, n);
        var inv = Filled(double.NaN, DType.Float32, n, n);
        B.SpdInverse(t, n, 0, inv);
        Assert.That(RelativeFrobenius(inv.ToDoubleArray(), DampedSymmetricInverse(a, n, 0)), Is.LessThan(1e-5));
    }

    /// <summary>diag(1, 1e-39) is SPD in float (1e-39 is subnormal) but its inverse entry 1e39 exceeds the float
    /// range: float32 overflows, the float64 retry succeeds and still cannot be returned, so the backend throws
    /// NotPositiveDefiniteException naming the smallest pivot (the CPU contract since GuardedSpdInverse 3ee2d8d).</summary>
    [Test]
    public void SpdInverseBeyondTheFloatRangeReportsTheSmallestPivot()
    {
        var a = Make([1, 0, 0, 1e-39], DType.Float32, 2, 2);
        var e = Assert.Throws<NotPositiveDefiniteException>(() => B.SpdInverse(a, 2, 0, Filled(0, DType.Float32, 2, 2)));
        Assert.That(e!.Message, Does.Contain("exceeds the float32 range").And.Contain("overflowed"));
        Assert.That((e.PivotIndex, (float)e.PivotValue), Is.EqualTo((1, 1e-39f)));
        var inv = Filled(0, DType.Float32, 2, 2);
        B.SpdInverse(a, 2, 1e-6, inv); // damped: fine in float32
        Assert.That(inv.ToDoubleArray()[3], Is.EqualTo(1e6).Within(1e-6 * 1e6 + 1));
    }

    [Test]
    public void SpdInverseMayOverwriteItsInput([Values] DType dtype)
    {
        int n = 6;
        var a = Stored(RandomSpd(new Random(101), n, 0.5), dtype);
        var t = Make(a, dtype, n, n);
        B.SpdInverse(t, n, 0.25, t);
        Assert.That(RelativeFrobenius(t.ToDoubleArray(), DampedSymmetricInverse(a, n, 0.25)), Is.LessThan(dtype == DType.Float32 ? 1e-5 : 1e-10));
    }

    [Test]
    public void SpdInverseRejectsNonFiniteInputNamingTheEntry([Values] DType dtype)
    {
        int n = 5;
        var a = RandomSpd(new Random(102), n, 0.5);
        a[3 * n + 1] = double.NaN;
        a[4 * n + 4] = double.PositiveInfinity;
        var e = Assert.Throws<NonFiniteMatrixException>(() => B.SpdInverse(Make(a, dtype, n, n), n, 0, Filled(0, dtype, n, n)));
        Assert.That((e!.Row, e.Column, e.Index), Is.EqualTo((3, 1, 3 * n + 1)));
    }

    [Test]
    public void SpdInverseReportsTheFailingPivotOfAnIndefiniteMatrix([Values] DType dtype)
    {
        int n = 3;
        double[] a = [4, 0, 0, 0, -1, 0, 0, 0, 2];
        var e = Assert.Throws<NotPositiveDefiniteException>(() => B.SpdInverse(Make(a, dtype, n, n), n, 0, Filled(0, dtype, n, n)));
        Assert.That((e!.MatrixSize, e.PivotIndex), Is.EqualTo((3, 1)));
        Assert.That(e.PivotValue, Is.EqualTo(-1));
        // Damping makes it positive definite: the caller's retry works.
        var inv = Filled(0, dtype, n, n);
        B.SpdInverse(Make(a, dtype, n, n), n, 2, inv);
        Assert.That(inv.ToDoubleArray(), Is.EqualTo(new[] { 1 / 6.0, 0, 0, 0, 1, 0, 0, 0, 0.25 }).Within(1e-6));
    }
    // ---- counter-based sampling ----

    [Test]
    public void FillUniformIsTheRandomStreamBitForBit([Values] DType dtype)
    {
        var stream = new RandomStream(42, 1000);
        ulong key = stream.Key, offset = stream.Take(53);
        var x = Filled(double.NaN, dtype, 53);
        B.FillUniform(x, key, offset);
        var want = Enumerable.Range(0, 53).Select(i => dtype == DType.Float32
            ? RandomStream.UniformSingle(key, offset + (ulong)i) : RandomStream.UniformDouble(key, offset + (ulong)i)).ToArray();
        Assert.That(x.ToDoubleArray(), Is.EqualTo(want));
    }

    [Test]
    public void FillNormalIsBoxMullerOnTheRandomStream([Values] DType dtype)
    {
        ulong key = new RandomStream(7).Key, offset = 1UL << 40;
        var x = Filled(double.NaN, dtype, 61);
        B.FillNormal(x, key, offset);
        var want = Enumerable.Range(0, 61).Select(i => RandomStream.Normal(key, offset + (ulong)i)).ToArray();
        // Same draws; only the device's log and cosine may differ from the host's in the last bits.
        Close(x.ToDoubleArray(), Stored(want, dtype), dtype == DType.Float32 ? Single : 1e-14, "FillNormal",
            want.Select(v => Math.Abs(v) + 1e-3).ToArray());
    }

    [Test]
    public void LessThanAndSampleCategorical([Values] DType dtype)
    {
        var rng = new Random(110);
        var a = Stored(RandomGaussian(rng, 30), dtype);
        var b = Stored(RandomGaussian(rng, 30), dtype);
        b[3] = a[3]; // equal: not less
        var r = Filled(double.NaN, dtype, 30);
        B.LessThan(Make(a, dtype, 30), Make(b, dtype, 30), r);
        Assert.That(r.ToDoubleArray(), Is.EqualTo(a.Zip(b, (x, y) => x < y ? 1.0 : 0.0)));

        int rows = 6, cols = 4;
        double[] p = [0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.25, 0.25, 1, 0, 0, 0, 0, 0, 0, 1, 0.5, 0.5, 0, 0, 0.3, 0.3, 0.3, 0.05];
        // row 5 sums to 0.95: a uniform above it falls through to the last column
        double[] u = [0.35, 0.0, 0.999, 0.5, 0.5, 0.97];
        int[] chosen = [2, 0, 0, 3, 1, 3];
        var onehot = Filled(double.NaN, dtype, rows, cols);
        B.SampleCategorical(Make(p, dtype, rows, cols), Make(u, dtype, rows), rows, cols, onehot);
        var got = onehot.ToDoubleArray();
        for (int i = 0; i < rows; i++)
            Assert.That(got.Skip(i * cols).Take(cols), Is.EqualTo(Enumerable.Range(0, cols).Select(c => c == chosen[i] ? 1.0 : 0.0)), $"row {i}");
    }
}

using Kfac.Cpu;
using Kfac.Cpu.Blas;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>GEMMs whose B operand is held constant read a cached packed copy: the products must be bit-identical
/// to unheld ones (same panel layout, same summation order), every orientation and shape gets its own entry, views
/// inside a held tensor are covered, and nothing stale survives the hold.</summary>
[NonParallelizable] // the cache is process-wide: entry counts would see other tests' holds
public class PackedOperandCacheTests
{
    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    private static Tensor Matrix(int rows, int cols, int seed) => Tensor.FromArray<float>(Random(rows * cols, seed), new Shape(rows, cols));

    private static float[] Product(bool transB, int m, int n, int k, Tensor a, Tensor b, double beta = 0, Tensor? c0 = null)
    {
        var c = c0?.Clone() ?? Tensor.Zeros(new Shape(m, n));
        a.Backend.Gemm(false, transB, m, n, k, 1.5, a, b, beta, c);
        return c.ToArray<float>();
    }

    [TestCase(250, 1000, 784, true)]   // a dense layer's forward, X W^T
    [TestCase(250, 784, 1000, false)]  // its input gradient, dY W
    [TestCase(37, 65, 531, true)]      // ragged panels, three k blocks
    [TestCase(40, 1, 33, false)]       // n = 1 (GEMV path: nothing cached, still correct)
    [TestCase(13, 70, 1, true)]        // k = 1
    public void HeldOperandGivesTheSameProductAsPackingPerCall(int m, int n, int k, bool transB)
    {
        var a = Matrix(m, k, 1);
        var b = transB ? Matrix(n, k, 2) : Matrix(k, n, 2);
        var c0 = Matrix(m, n, 3);
        var expected = Product(transB, m, n, k, a, b, 0.5, c0);
        using (a.Backend.HoldConstant([b]))
        {
            // First product packs into the cache, the second reads it.
            Assert.That(Product(transB, m, n, k, a, b, 0.5, c0), Is.EqualTo(expected));
            Assert.That(Product(transB, m, n, k, a, b, 0.5, c0), Is.EqualTo(expected));
        }
        Assert.That(Product(transB, m, n, k, a, b, 0.5, c0), Is.EqualTo(expected));
    }

    [Test]
    public void DoublePrecisionOperandsAreCachedSeparately()
    {
        var a = Matrix(50, 300, 4).To(DType.Float64);
        var b = Matrix(90, 300, 5).To(DType.Float64);
        var c = Tensor.Zeros(new Shape(50, 90), DType.Float64);
        a.Backend.Gemm(false, true, 50, 90, 300, 1, a, b, 0, c);
        var expected = c.ToArray<double>();
        using var hold = (PackedOperandCache.Holding)a.Backend.HoldConstant([b]);
        for (int i = 0; i < 2; i++)
        {
            a.Backend.Fill(c, 0);
            a.Backend.Gemm(false, true, 50, 90, 300, 1, a, b, 0, c);
            Assert.That(c.ToArray<double>(), Is.EqualTo(expected));
        }
        Assert.That(hold.EntryCount, Is.EqualTo(1));
    }

    [Test]
    public void EachOrientationAndShapeIsPackedOnce()
    {
        var w = Matrix(120, 90, 6);          // a weight [out, in]
        var x = Matrix(64, 90, 7);           // forward input [m, in]
        var dy = Matrix(64, 120, 8);         // output gradient [m, out]
        var backend = w.Backend;
        using var hold = (PackedOperandCache.Holding)backend.HoldConstant([w]);
        for (int i = 0; i < 3; i++)
        {
            backend.Gemm(false, true, 64, 120, 90, 1, x, w, 0, Tensor.Zeros(new Shape(64, 120)));   // X W^T
            backend.Gemm(false, false, 64, 90, 120, 1, dy, w, 0, Tensor.Zeros(new Shape(64, 90)));  // dY W
        }
        Assert.That(hold.EntryCount, Is.EqualTo(2));
        // An operand outside the held region is never cached.
        backend.Gemm(false, false, 64, 120, 120, 1, dy, Matrix(120, 120, 9), 0, Tensor.Zeros(new Shape(64, 120)));
        Assert.That(hold.EntryCount, Is.EqualTo(2));
    }

    [Test]
    public void ViewsInsideAHeldTensorAreCachedByTheirOwnOffsetAndStride()
    {
        // R[:, :cols] of a square (cols + 1) x (cols + 1) matrix: the Kronecker product's right factor without its
        // bias column, read in place with row stride cols + 1.
        int cols = 70, d = cols + 1, m = 40;
        var r = Matrix(d, d, 10);
        var t = Matrix(m, d, 11);
        var backend = r.Backend;
        var expected = Tensor.Zeros(new Shape(m, cols));
        backend.Gemm(false, false, m, cols, d, 1, MatrixView.Of(t, d), new MatrixView(r, 0, d), 0, MatrixView.Of(expected, cols));
        using var hold = (PackedOperandCache.Holding)backend.HoldConstant([r]);
        for (int i = 0; i < 2; i++)
        {
            var c = Tensor.Zeros(new Shape(m, cols));
            backend.Gemm(false, false, m, cols, d, 1, MatrixView.Of(t, d), new MatrixView(r, 0, d), 0, MatrixView.Of(c, cols));
            Assert.That(c.ToArray<float>(), Is.EqualTo(expected.ToArray<float>()));
        }
        Assert.That(hold.EntryCount, Is.EqualTo(1));
    }

    [Test]
    public void NothingStaleSurvivesTheHold()
    {
        var a = Matrix(64, 100, 12);
        var b = Matrix(100, 80, 13);
        using (a.Backend.HoldConstant([b])) Product(false, 64, 80, 100, a, b);
        // The caller may write b once the hold is gone; the next product must see the new values.
        a.Backend.Affine(b, -2, 0.25, b);
        var fresh = Product(false, 64, 80, 100, a, b);
        var reference = Product(false, 64, 80, 100, a, b.Clone());
        Assert.That(fresh, Is.EqualTo(reference));
        using (a.Backend.HoldConstant([b])) Assert.That(Product(false, 64, 80, 100, a, b), Is.EqualTo(reference));
    }

    [Test]
    public void ReleasedBuffersAreReusedByTheNextHold()
    {
        // Holds abandoned by earlier tests (curvature blocks never disposed) give their buffers back from finalizers:
        // run those now so the pool does not change under the measurement.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var a = Matrix(64, 100, 14);
        var b = Matrix(100, 96, 15);
        using (a.Backend.HoldConstant([b])) Product(false, 64, 96, 100, a, b);
        nuint pooled = PackedOperandCache.PooledBytes;
        Assert.That(pooled, Is.GreaterThan((nuint)0));
        using (a.Backend.HoldConstant([b]))
        {
            Product(false, 64, 96, 100, a, b);
            Assert.That(PackedOperandCache.PooledBytes, Is.LessThan(pooled), "the second hold should take the pooled buffer");
        }
        Assert.That(PackedOperandCache.PooledBytes, Is.EqualTo(pooled));
    }

    /// <summary>
    /// The race ACKTR's background refresh hit: an owner (an eigendecomposition) is dropped without disposing its
    /// hold, and a collection runs while another thread's lookup still has the hold in a local. The hold must keep
    /// its memory, or arrays allocated there afterwards (a mutable scratch) are matched against it, packed once, and
    /// read stale after every later write. Here the test keeps the hold reachable itself and allocates tensors of the
    /// dropped one's size: none may land in the held memory, and a written operand's products must follow its writes.
    /// </summary>
    [Test]
    public void AReachableHoldKeepsItsMemoryAfterItsOwnerIsCollected()
    {
        const int m = 64, k = 37, n = 53; // a size class no other test uses, so new tensors are fresh pinned arrays
        var a = Matrix(m, k, 21);
        var (hold, region) = HoldPackedAndDrop(a, m, k, n);
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        for (int trial = 0; trial < 64; trial++)
        {
            var b = Matrix(k, n, 100 + trial);
            Product(false, m, n, k, a, b); // would be cached, were b inside the hold
            a.Backend.Affine(b, -1, 0.5, b);
            Assert.That(Product(false, m, n, k, a, b), Is.EqualTo(Product(false, m, n, k, a, b.Clone())), $"tensor {trial}: product after a write");
            var (start, end) = Extent(b);
            Assert.That(end <= region.Start || start >= region.End, Is.True,
                $"tensor {trial} at [{start:x}, {end:x}) lies in the memory of a hold that is still reachable ([{region.Start:x}, {region.End:x}))");
        }
        GC.KeepAlive(hold);
    }

    /// <summary>Disposing a held tensor breaks the hold's contract, but must not poison the cache: its array goes back
    /// to the pool, the next tensor of that size gets the same memory, and its products must follow its own values.</summary>
    [Test]
    public void AHeldTensorDisposedIntoThePoolStopsMatching()
    {
        const int m = 64, k = 41, n = 47; // a size class no other test uses
        var a = Matrix(m, k, 31);
        var b = Matrix(k, n, 32);
        var hold = a.Backend.HoldConstant([b]);
        Product(false, m, n, k, a, b); // packs b into the hold's cache
        var (start, _) = Extent(b);
        b.Dispose();
        var reused = Matrix(k, n, 33);
        Assume.That(Extent(reused).Start, Is.EqualTo(start), "the pool hands the same array to the next tensor of that size");
        Assert.That(Product(false, m, n, k, a, reused), Is.EqualTo(Product(false, m, n, k, a, reused.Clone())));
        hold.Dispose();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (object Hold, (nint Start, nint End) Region) HoldPackedAndDrop(Tensor a, int m, int k, int n)
    {
        var b = Matrix(k, n, 20);
        var hold = a.Backend.HoldConstant([b]); // never disposed, like an abandoned owner's
        Product(false, m, n, k, a, b);
        return (hold, Extent(b));
    }

    private static unsafe (nint Start, nint End) Extent(Tensor t)
    {
        var span = ((CpuStorage)t.Storage).Span<float>()[..t.Numel];
        fixed (float* p = span) return ((nint)p, (nint)(p + span.Length));
    }

    [Test]
    public void DisposingTwiceIsHarmless()
    {
        var b = Matrix(10, 10, 16);
        var hold = b.Backend.HoldConstant([b]);
        hold.Dispose();
        Assert.DoesNotThrow(hold.Dispose);
    }
}

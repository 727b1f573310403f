using Kfac.Cpu;
using Kfac.Cpu.Blas;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>Sgemm/Dgemm against the double oracle on fixed shapes: block-boundary sizes, transposes, alpha/beta, strides,
/// kernel families and thread counts (random shapes are in <see cref="GemmPropertyTests"/>).</summary>
public class GemmTests
{
    private static readonly TestIsa[] Isas = [TestIsa.Vector512, TestIsa.Vector256];

    // Bigger than the blocking parameters (AVX-512: kc = 256, mc = 192, NR = 32; AVX2, from the caches: kc at most 512,
    // mc at most 480): several k blocks, row blocks and a ragged edge in every dimension; all four transpose combinations.
    private static IEnumerable<TestCaseData> LargeCases()
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                yield return new TestCaseData(ta, tb).SetName($"Sgemm_300x517x1100_{(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')}");
    }

    [TestCaseSource(nameof(LargeCases))]
    public void Sgemm_LargerThanBlocks_MatchesReference(bool ta, bool tb) =>
        GemmReference.AssertNull(new GemmCase(ta, tb, 300, 517, 1100, 1.0, 0.5, 3, 2, TestIsa.Vector512, 11).Check(single: true));

    [Test]
    public void Dgemm_LargerThanBlocks_MatchesReference() =>
        GemmReference.AssertNull(new GemmCase(true, false, 263, 301, 700, -0.75, 1.0, 1, 2, TestIsa.Vector512, 12).Check(single: false));

    [Test]
    public void Sgemm_Vector256_LargerThanBlocks_MatchesReference() =>
        GemmReference.AssertNull(new GemmCase(false, true, 1001, 157, 1100, 1.0, 0.0, 0, 2, TestIsa.Vector256, 13).Check(single: true));

    [Test]
    public void Dgemm_Vector256_LargerThanBlocks_MatchesReference() =>
        GemmReference.AssertNull(new GemmCase(false, false, 497, 133, 1100, 2.0, -1.0, 2, 1, TestIsa.Vector256, 14).Check(single: false));

    /// <summary>n = 1 runs the unpacked matrix-vector product, split across threads by output entries once A is large
    /// (here 700 x 300 and 1100 x 301: several 256-entry chunks, a ragged last one); padded strides, beta != 0.</summary>
    [Test]
    public void MatrixVectorProduct_LargeEnoughToSplit_MatchesReference([Values] bool ta, [Values] bool tb, [Values] bool single, [Values(1, 2)] int threads)
    {
        GemmReference.AssertNull(new GemmCase(ta, tb, 700, 1, 300, 1.25, 0.5, 3, threads, TestIsa.Vector512, 16).Check(single));
        GemmReference.AssertNull(new GemmCase(ta, tb, 1100, 1, 301, -0.5, 0.0, 0, threads, TestIsa.Vector512, 17).Check(single));
    }

    [Test]
    public void Scalar_Fallback_MatchesReference([Values] bool single) =>
        GemmReference.AssertNull(new GemmCase(true, true, 23, 37, 261, 0.5, 2.0, 1, 2, TestIsa.Scalar, 15).Check(single));

    // Every edge: m around MR multiples, n around vector/NR multiples (15, 16, 17, 31, 32, 33), k = 1.
    [Test]
    public void EdgeSizes_AllTransposes_BothIsas_BothThreadCounts()
    {
        int[] ms = [1, 5, 11, 12, 13, 25], ns = [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 65], ks = [1, 2, 17];
        int seed = 100;
        foreach (var isa in Isas)
            foreach (int threads in new[] { 1, 2 })
                foreach (int m in ms)
                    foreach (int n in ns)
                        foreach (int k in ks)
                        {
                            bool ta = (seed & 1) != 0, tb = (seed & 2) != 0, single = (seed & 4) != 0;
                            var c = new GemmCase(ta, tb, m, n, k, 1.5, seed % 3 == 0 ? 0.0 : 1.0, seed % 2, threads, isa, seed++);
                            GemmReference.AssertNull(c.Check(single));
                        }
    }

    // Thin operands are read in place instead of packed: n within a few NR panels (A read in place, row by row for
    // op(A) = A or column by column for A^T) and m within a few MR tiles (B read in place for full panels).
    [Test]
    public void ThinShapes_InPlaceOperands_MatchReference([Values] bool ta, [Values] bool tb,
        [Values(TestIsa.Vector512, TestIsa.Vector256)] TestIsa isa, [Values(1, 2)] int threads)
    {
        int seed = 40 + (ta ? 1 : 0) + (tb ? 2 : 0) + (threads - 1) * 4 + (int)isa * 8;
        GemmReference.AssertNull(new GemmCase(ta, tb, 157, 30, 300, 1.0, 0.5, 1, threads, isa, seed).Check(single: true));
        GemmReference.AssertNull(new GemmCase(ta, tb, 30, 150, 290, 1.0, 0.0, 0, threads, isa, seed + 100).Check(single: true));
        GemmReference.AssertNull(new GemmCase(ta, tb, 9, 70, 270, -1.0, 1.0, 2, threads, isa, seed + 200).Check(single: false));
    }

    // One row block (m <= mc): each task packs the B micro-panel it is about to use (GemmBlocking.FuseBPacking) instead
    // of all of B first. Several k blocks, ragged n and m, all transposes; the bits equal the shared packing's (the same
    // packed values meet the same kernel in the same order).
    [Test]
    public void OneRowBlock_FusedBPacking_MatchesReferenceAndSharedPackingBits([Values] bool ta, [Values] bool tb,
        [Values(TestIsa.Vector512, TestIsa.Vector256)] TestIsa isa, [Values(1, 2)] int threads)
    {
        int seed = 60 + (ta ? 1 : 0) + (tb ? 2 : 0) + (threads - 1) * 4 + (int)isa * 8;
        CheckBothWays(v => GemmBlocking.FuseBPacking = v, "fused and shared B packing",
            new GemmCase(ta, tb, 64, 517, 1100, 1.0, 0.0, 1, threads, isa, seed),
            new GemmCase(ta, tb, 37, 45, 700, -0.5, 1.0, 3, threads, isa, seed + 100));
    }

    // A shared packed B that is not transposed is packed row by row (GemmBlocking.PackBByRows): the same panels as the
    // panel-by-panel order, so the same bits; several row blocks and k blocks, a ragged last panel, and (m = 9) B read
    // in place with only its ragged last panel packed.
    [Test]
    public void SharedBPacking_ByRows_MatchesReferenceAndPanelOrderBits([Values] bool ta,
        [Values(TestIsa.Vector512, TestIsa.Vector256)] TestIsa isa, [Values(1, 2)] int threads)
    {
        int seed = 80 + (ta ? 1 : 0) + (threads - 1) * 4 + (int)isa * 8;
        CheckBothWays(v => GemmBlocking.PackBByRows = v, "B packed by rows and by panels",
            new GemmCase(ta, false, 700, 517, 1100, 1.0, 0.5, 2, threads, isa, seed),
            new GemmCase(ta, false, 9, 70, 270, -1.0, 0.0, 1, threads, isa, seed + 100));
    }

    /// <summary>Each case against the reference (float and double) with the switch on, and the float results with the
    /// switch on and off bit for bit.</summary>
    private static void CheckBothWays(Action<bool> set, string what, params GemmCase[] cases)
    {
        foreach (var c in cases)
        {
            GemmReference.AssertNull(c.Check(single: true));
            GemmReference.AssertNull((c with { Seed = c.Seed + 1 }).Check(single: false));
            Assert.That(Run(c, set, true), Is.EqualTo(Run(c, set, false)), $"{what} differ: {c}");
        }

        static float[] Run(GemmCase c, Action<bool> set, bool on)
        {
            var rng = new Random(c.Seed);
            int lda = (c.TransA ? c.M : c.K) + c.Pad, ldb = (c.TransB ? c.K : c.N) + c.Pad, ldc = c.N + c.Pad;
            float[] a = GemmReference.ToFloat(GemmReference.Random(rng, (c.TransA ? c.K : c.M) * lda));
            float[] b = GemmReference.ToFloat(GemmReference.Random(rng, (c.TransB ? c.N : c.K) * ldb));
            float[] cm = GemmReference.ToFloat(GemmReference.Random(rng, c.M * ldc));
            try
            {
                set(on);
                GemmReference.WithIsa(c.Kernel, () =>
                {
                    Gemm.Sgemm(c.TransA, c.TransB, c.M, c.N, c.K, (float)c.Alpha, a, lda, b, ldb, (float)c.Beta, cm, ldc, c.Threads);
                    return 0;
                });
            }
            finally { set(true); }
            return cm;
        }
    }

    [Test]
    public void BetaZero_OverwritesNaN_AndPaddingUntouched([Values] bool single, [Values(1, 2)] int threads) =>
        GemmReference.AssertNull(new GemmCase(false, false, 40, 70, 90, 1.0, 0.0, 5, threads, TestIsa.Vector512, 21).Check(single));

    [Test]
    public void KZero_ScalesC([Values(0.0, 2.0)] double beta)
    {
        float[] c = [1, float.NaN, 3, 4];
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 0, [], 2, (float)beta, c, 2);
        if (beta == 0) Assert.That(c, Is.EqualTo(new float[] { 0, 0, 0, 0 }));
        else Assert.That(c, Is.EqualTo(new float[] { 2, float.NaN, 6, 8 }));
    }

    [Test]
    public void AlphaZero_DoesNotReadAOrB()
    {
        double[] a = [double.NaN, double.NaN], b = [double.NaN, double.NaN], c = [1, 2, 3, 4];
        Gemm.Dgemm(false, false, 2, 2, 1, 0.0, a, 1, b, 2, 0.5, c, 2);
        Assert.That(c, Is.EqualTo(new double[] { 0.5, 1, 1.5, 2 }));
    }

    [Test]
    public void EmptyDimensions_DoNothing()
    {
        float[] c = [7];
        Gemm.Sgemm(false, false, 0, 5, 3, 1f, [], 3, new float[15], 5, 0f, [], 5);
        Gemm.Sgemm(false, false, 1, 0, 3, 1f, new float[3], 3, [], 0, 0f, c, 0);
        Assert.That(c[0], Is.EqualTo(7f));
    }

    [Test]
    public void ManyCalls_AllocateNothing([Values] bool single)
    {
        const int m = 40, n = 50, k = 260;
        float[] af = new float[m * k], bf = new float[k * n], cf = new float[m * n];
        double[] ad = new double[m * k], bd = new double[k * n], cd = new double[m * n];
        float[] cov = new float[n * n];
        void Call()
        {
            if (single)
            {
                Gemm.Sgemm(false, true, m, n, k, 1f, af, k, bf, k, 0f, cf, n, 2);
                Covariance.Ssyrk(k, n, 1f, bf, n, 0f, cov, n, 2);
            }
            else
            {
                Gemm.Dgemm(true, false, m, n, k, 1.0, ad, m, bd, n, 1.0, cd, n, 2);
                Gemm.Dgemm(false, false, m, n, k, 1.0, ad, k, bd, n, 1.0, cd, n, 1);
            }
        }
        for (int i = 0; i < 5; i++) Call(); // first calls create the pool, thread-static buffers, generic statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) Call();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero, $"{allocated} bytes allocated by 50 calls");
    }

    [Test]
    public void Validation_NamesTheArgument()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        AssertThrows<ArgumentOutOfRangeException>("m", () => Gemm.Sgemm(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
        AssertThrows<ArgumentOutOfRangeException>("n", () => Gemm.Sgemm(false, false, 2, -2, 3, 1f, a, 3, b, 2, 0f, c, 2));
        AssertThrows<ArgumentOutOfRangeException>("k", () => Gemm.Sgemm(false, false, 2, 2, -3, 1f, a, 3, b, 2, 0f, c, 2));
        var e = AssertThrows<ArgumentOutOfRangeException>("lda", () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2));
        Assert.That(e.Message, Does.Contain("lda (2)").And.Contain("row length 3"));
        AssertThrows<ArgumentOutOfRangeException>("lda", () => Gemm.Sgemm(true, false, 2, 2, 3, 1f, a, 1, b, 2, 0f, c, 2));
        AssertThrows<ArgumentOutOfRangeException>("ldb", () => Gemm.Sgemm(false, true, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
        AssertThrows<ArgumentOutOfRangeException>("ldc", () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 1));
        var s = AssertThrows<ArgumentException>("a", () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a.AsSpan(0, 5), 3, b, 2, 0f, c, 2));
        Assert.That(s.Message, Does.Contain("5 elements").And.Contain("needs 6"));
        AssertThrows<ArgumentException>("b", () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b.AsSpan(0, 5), 2, 0f, c, 2));
        AssertThrows<ArgumentException>("c", () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c.AsSpan(0, 3), 2));
        double[] shared = new double[8];
        AssertThrows<ArgumentException>("c", () => Gemm.Dgemm(false, false, 2, 2, 2, 1.0, shared.AsSpan(0, 4), 2, new double[4], 2, 0.0, shared.AsSpan(2, 4), 2));
        AssertThrows<ArgumentOutOfRangeException>("maxThreads", () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, -1));
    }

    private static TException AssertThrows<TException>(string param, Action call) where TException : ArgumentException
    {
        var e = Assert.Throws(Is.InstanceOf<TException>(), call) as TException;
        Assert.That(e!.ParamName, Is.EqualTo(param), e.Message);
        return e;
    }
}

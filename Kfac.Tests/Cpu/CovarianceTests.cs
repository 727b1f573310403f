using FsCheck;
using FsCheck.Fluent;
using Kfac.Cpu;
using Kfac.Cpu.Blas;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>Ssyrk/Dsyrk against the double oracle for X^T X (same error bound as GEMM, see <see cref="GemmReference"/>),
/// exact symmetry of the result, beta handling, stride padding, kernel families and thread counts.</summary>
public class CovarianceTests
{
    public sealed record SyrkCase(int M, int N, double Alpha, double Beta, int Pad, int Threads, TestIsa Isa, int Seed)
    {
        public override string ToString() => $"m={M} n={N} alpha={Alpha} beta={Beta} pad={Pad} threads={Threads} isa={Isa}";

        public string? Check(bool single)
        {
            var rng = new Random(Seed);
            int ldx = N + Pad, ldc = N + Pad;
            double[] x = GemmReference.Random(rng, M * ldx);
            // A symmetric C0 (the K-FAC running average is symmetric); beta == 0 gets NaNs that must vanish.
            double[] c = new double[N * ldc];
            for (int i = 0; i < N; i++)
                for (int j = 0; j <= i; j++) c[i * ldc + j] = c[j * ldc + i] = rng.NextDouble();
            if (Beta == 0) Array.Fill(c, double.NaN);
            for (int i = 0; i < N; i++)
                for (int j = N; j < ldc; j++) c[i * ldc + j] = 42;
            double[] got;
            (double[] Value, double[] Scale) want;
            double eps;
            GemmKernels.Forced = GemmReference.Kernel(Isa);
            try
            {
                if (single)
                {
                    float[] xf = GemmReference.ToFloat(x), cf = GemmReference.ToFloat(c);
                    want = GemmReference.Gemm(true, false, N, N, M, (float)Alpha, GemmReference.ToDouble(xf), ldx,
                        GemmReference.ToDouble(xf), ldx, (float)Beta, GemmReference.ToDouble(cf), ldc);
                    Covariance.Ssyrk(M, N, (float)Alpha, xf, ldx, (float)Beta, cf, ldc, Threads);
                    got = GemmReference.ToDouble(cf);
                    eps = Math.ScaleB(1.0, -24);
                }
                else
                {
                    want = GemmReference.Gemm(true, false, N, N, M, Alpha, x, ldx, x, ldx, Beta, c, ldc);
                    got = (double[])c.Clone();
                    Covariance.Dsyrk(M, N, Alpha, x, ldx, Beta, got, ldc, Threads);
                    eps = Math.ScaleB(1.0, -53);
                }
            }
            finally { GemmKernels.Forced = GemmIsa.Auto; }
            for (int i = 0; i < N; i++)
            {
                for (int j = 0; j < i; j++)
                    if (!got[i * ldc + j].Equals(got[j * ldc + i]))
                        return $"not symmetric: C[{i},{j}] = {got[i * ldc + j]:R} but C[{j},{i}] = {got[j * ldc + i]:R} ({this})";
                for (int j = N; j < ldc; j++)
                    if (got[i * ldc + j] != 42) return $"padding C[{i},{j}] was written ({this})";
            }
            return GemmReference.Compare(got, ldc, N, N, M, want, eps);
        }
    }

    public static Arbitrary<SyrkCase> Cases() =>
        (from m in Gen.OneOf(Gen.Elements(1, 2, 13, 256, 257), Gen.Choose(1, 300))
         from n in Gen.OneOf(Gen.Elements(1, 2, 11, 12, 13, 31, 32, 33, 45), Gen.Choose(1, 110))
         from alpha in Gen.Elements(1.0, 0.25, -2.0)
         from beta in Gen.Elements(0.0, 1.0, 0.95)
         from pad in Gen.Elements(0, 3)
         from threads in Gen.Elements(1, 2)
         from isa in Gen.Elements(TestIsa.Vector512, TestIsa.Vector256)
         from seed in Gen.Choose(0, int.MaxValue - 1)
         select new SyrkCase(m, n, alpha, beta, pad, threads, isa, seed)).ToArbitrary();

    [FsCheck.NUnit.Property(Arbitrary = [typeof(CovarianceTests)], MaxTest = 60, QuietOnSuccess = true)]
    public Property Ssyrk_MatchesReference_AndIsSymmetric(SyrkCase c) => Check(c, single: true);

    [FsCheck.NUnit.Property(Arbitrary = [typeof(CovarianceTests)], MaxTest = 40, QuietOnSuccess = true)]
    public Property Dsyrk_MatchesReference_AndIsSymmetric(SyrkCase c) => Check(c, single: false);

    private static Property Check(SyrkCase c, bool single)
    {
        string? failure = c.Check(single);
        return (failure is null).Label(failure ?? "ok");
    }

    // Larger than the blocks: several row tasks, straddling diagonal tiles in every position, several k blocks.
    [Test]
    public void LargerThanBlocks_MatchesReference([Values] bool single, [Values(TestIsa.Vector512, TestIsa.Vector256)] TestIsa isa) =>
        GemmReference.AssertNull(new SyrkCase(600, single ? 333 : 211, 1.0 / 600, 0.95, 1, 2, isa, 3).Check(single));

    // B packed in column chunks (a small panel budget forces several): each task mirrors the block it finished in each
    // chunk, and the result must still be complete and exactly symmetric.
    [Test]
    public void ColumnChunkedPanels_MatchReferenceAndAreSymmetric([Values] bool single)
    {
        long saved = Kfac.Cpu.Blas.GemmBlocking.BPanelBytes;
        Kfac.Cpu.Blas.GemmBlocking.BPanelBytes = 16 << 10;
        try
        {
            GemmReference.AssertNull(new SyrkCase(300, 203, 0.5, 0.95, 2, 2, TestIsa.Vector512, 5).Check(single));
        }
        finally
        {
            Kfac.Cpu.Blas.GemmBlocking.BPanelBytes = saved;
        }
    }

    [Test]
    public void ScalarFallback_MatchesReference() =>
        GemmReference.AssertNull(new SyrkCase(40, 29, 1.0, 0.5, 0, 2, TestIsa.Scalar, 4).Check(single: true));

    /// <summary>The lower-only variants (K-FAC's factor EMAs) never write above the diagonal: the upper triangle keeps
    /// its marker, while the lower one equals the mirrored SYRK's bit for bit. Sizes past the blocking (several row
    /// tasks, straddling tiles) on both kernel families and two threads.</summary>
    [Test]
    public void LowerOnly_LeavesTheUpperTriangleAndMatchesTheMirroredLower([Values] bool transposed,
        [Values(TestIsa.Vector512, TestIsa.Vector256)] TestIsa isa)
    {
        var rng = new Random(transposed ? 12 : 11);
        GemmKernels.Forced = GemmReference.Kernel(isa);
        try
        {
            foreach (var (m, n) in new[] { (1, 1), (9, 17), (300, 261) })
            {
                float[] x = GemmReference.ToFloat(GemmReference.Random(rng, m * n));
                float[] full = new float[n * n], lower = new float[n * n];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++) full[i * n + j] = full[j * n + i] = lower[i * n + j] = (float)rng.NextDouble();
                for (int i = 0; i < n; i++)
                    for (int j = i + 1; j < n; j++) lower[i * n + j] = -42;
                if (transposed)
                {
                    Covariance.SsyrkTransposed(n, m, 0.5f, x, m, 0.9f, full, n, 2);
                    Covariance.SyrkTransposedLower(n, m, 0.5f, x, m, 0.9f, lower, n, 2);
                }
                else
                {
                    Covariance.Ssyrk(m, n, 0.5f, x, n, 0.9f, full, n, 2);
                    Covariance.SyrkLower(m, n, 0.5f, x, n, 0.9f, lower, n, 2);
                }
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        Assert.That(lower[i * n + j], Is.EqualTo(j <= i ? full[i * n + j] : -42f), $"m={m} n={n} ({i}, {j})");
            }
        }
        finally
        {
            GemmKernels.Forced = GemmIsa.Auto;
        }
    }

    [Test]
    public void MZero_ScalesC()
    {
        float[] c = [1, 2, 2, 4];
        Covariance.Ssyrk(0, 2, 1f, [], 2, 0.5f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 0.5f, 1, 1, 2 }));
        Covariance.Ssyrk(0, 2, 1f, [], 2, 0f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 0, 0, 0, 0 }));
    }

    [Test]
    public void Validation_NamesTheArgument()
    {
        float[] x = new float[6], c = new float[4];
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Covariance.Ssyrk(-1, 2, 1f, x, 2, 0f, c, 2))!.ParamName, Is.EqualTo("m"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Covariance.Ssyrk(3, -2, 1f, x, 2, 0f, c, 2))!.ParamName, Is.EqualTo("n"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Covariance.Ssyrk(3, 2, 1f, x, 1, 0f, c, 2))!.ParamName, Is.EqualTo("ldx"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Covariance.Ssyrk(3, 2, 1f, x, 2, 0f, c, 1))!.ParamName, Is.EqualTo("ldc"));
        var e = Assert.Throws<ArgumentException>(() => Covariance.Dsyrk(4, 2, 1.0, new double[7], 2, 0.0, new double[4], 2))!;
        Assert.That(e.ParamName, Is.EqualTo("x"));
        Assert.That(e.Message, Does.Contain("7 elements").And.Contain("needs 8"));
        Assert.That(Assert.Throws<ArgumentException>(() => Covariance.Ssyrk(3, 2, 1f, x, 2, 0f, c.AsSpan(0, 3), 2))!.ParamName, Is.EqualTo("c"));
    }
}

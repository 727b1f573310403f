using Kfac.Cpu;
using Kfac.Cpu.Blas;

namespace Kfac.Tests.Cpu;

/// <summary>One GEMM case run in float and double against <see cref="GemmReference"/>: random A, B, C with optional row
/// padding (lda > row length), C pre-filled with NaN when beta == 0 (it must be overwritten, not scaled).</summary>
public sealed record GemmCase(bool TransA, bool TransB, int M, int N, int K, double Alpha, double Beta, int Pad, int Threads, TestIsa Isa, int Seed)
{
    internal GemmIsa Kernel => GemmReference.Kernel(Isa);

    public override string ToString() =>
        $"{(TransA ? 'T' : 'N')}{(TransB ? 'T' : 'N')} m={M} n={N} k={K} alpha={Alpha} beta={Beta} pad={Pad} threads={Threads} isa={Isa}";

    public string? Check(bool single)
    {
        var rng = new Random(Seed);
        int lda = (TransA ? M : K) + Pad, ldb = (TransB ? K : N) + Pad, ldc = N + Pad;
        int rowsA = TransA ? K : M, rowsB = TransB ? N : K;
        double[] a = GemmReference.Random(rng, Math.Max(0, rowsA * lda));
        double[] b = GemmReference.Random(rng, Math.Max(0, rowsB * ldb));
        double[] c = GemmReference.Random(rng, Math.Max(0, M * ldc));
        if (Beta == 0) Array.Fill(c, double.NaN);
        if (single)
        {
            // Round inputs to float first so the oracle sees exactly what the float kernel sees.
            float[] af = GemmReference.ToFloat(a), bf = GemmReference.ToFloat(b), cf = GemmReference.ToFloat(c);
            var want = GemmReference.Gemm(TransA, TransB, M, N, K, (float)Alpha, GemmReference.ToDouble(af), lda,
                GemmReference.ToDouble(bf), ldb, (float)Beta, GemmReference.ToDouble(cf), ldc);
            GemmReference.WithIsa(Kernel, () =>
            {
                Gemm.Sgemm(TransA, TransB, M, N, K, (float)Alpha, af, lda, bf, ldb, (float)Beta, cf, ldc, Threads);
                return 0;
            });
            return PaddingIntact(GemmReference.ToDouble(cf), c, ldc, single: true)
                ?? GemmReference.Compare(GemmReference.ToDouble(cf), ldc, M, N, K, want, Math.ScaleB(1.0, -24));
        }
        else
        {
            var want = GemmReference.Gemm(TransA, TransB, M, N, K, Alpha, a, lda, b, ldb, Beta, c, ldc);
            double[] got = (double[])c.Clone();
            GemmReference.WithIsa(Kernel, () =>
            {
                Gemm.Dgemm(TransA, TransB, M, N, K, Alpha, a, lda, b, ldb, Beta, got, ldc, Threads);
                return 0;
            });
            return PaddingIntact(got, c, ldc, single: false) ?? GemmReference.Compare(got, ldc, M, N, K, want, Math.ScaleB(1.0, -53));
        }
    }

    /// <summary>The padding columns of C (j >= n) must not be touched.</summary>
    private string? PaddingIntact(double[] got, double[] original, int ldc, bool single)
    {
        for (int i = 0; i < M; i++)
            for (int j = N; j < ldc; j++)
            {
                double o = single ? (float)original[i * ldc + j] : original[i * ldc + j];
                if (!got[i * ldc + j].Equals(o)) return $"padding C[{i},{j}] was written ({this})";
            }
        return null;
    }
}

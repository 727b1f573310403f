using System.Numerics;

namespace Kfac.Cpu.Blas;

/// <summary>Shared entry for Gemm and Covariance after validation: trivial cases, kernel choice, SYRK mirroring.</summary>
internal static unsafe class GemmRunner
{
    public static void Run<T>(in GemmProblem<T> pr, int maxThreads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (pr.M == 0 || pr.N == 0) return;
        if (pr.K == 0 || pr.Alpha == T.Zero)
        {
            Scale(pr.C, pr.M, pr.N, pr.Ldc, pr.Beta, pr.LowerOnly);
            return;
        }
        if (pr.N == 1 && !pr.LowerOnly)
        {
            Gemv.Run(pr);
            return;
        }
        int threads = CpuParallel.ResolveThreads(maxThreads);
        switch (GemmKernels.Select<T>())
        {
            case GemmIsa.Vector512: GemmDriver<T, MicroKernel512<T>>.Run(pr, threads); break;
            case GemmIsa.Vector256: GemmDriver<T, MicroKernel256<T>>.Run(pr, threads); break;
            default: GemmDriver<T, ScalarKernel<T>>.Run(pr, threads); break;
        }
    }

    /// <summary>C = beta * C (beta == 0 writes zeros, so NaNs in C do not survive); lowerOnly: entries j &lt;= i.</summary>
    public static void Scale<T>(T* c, int m, int n, int ldc, T beta, bool lowerOnly) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + (long)i * ldc, lowerOnly ? Math.Min(i + 1, n) : n);
            if (beta == T.Zero) row.Clear();
            else for (int j = 0; j < row.Length; j++) row[j] *= beta;
        }
    }

    /// <summary>Copies the strict lower triangle of the n x n matrix C to the upper one: off-diagonal 32 x 32 blocks
    /// with the SIMD block transpose (rows read and columns written stay in cache), diagonal blocks element-wise.</summary>
    public static void MirrorLower<T>(T* c, int n, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int B = 32;
        for (int ib = 0; ib < n; ib += B)
        {
            int rows = Math.Min(B, n - ib);
            for (int jb = 0; jb < ib; jb += B)
                Transpose.Copy(c + (long)ib * ldc + jb, ldc, rows, B, c + (long)jb * ldc + ib, ldc);
            for (int i = ib + 1; i < ib + rows; i++)
            {
                T* row = c + (long)i * ldc;
                for (int j = ib; j < i; j++) c[(long)j * ldc + i] = row[j];
            }
        }
    }
}

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
            if (pr.LowerOnly && !pr.NoMirror) MirrorBlock(pr.C, pr.Ldc, 0, pr.N, 0, pr.N);
            return;
        }
        if (pr.N == 1 && !pr.LowerOnly)
        {
            Gemv.Run(pr, maxThreads);
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

    /// <summary>Copies the strictly-lower entries of rows [i0, i1) x columns [j0, j1) of C to their mirror images
    /// C[j, i]: in 32-row blocks, the columns left of the block with the SIMD block transpose (rows read and columns
    /// written stay in cache), the block's own triangle element-wise. SYRK tasks call it on the block they have just finished, so the
    /// mirror is spread over the threads and reads C while it is still in cache; the entries written lie above the
    /// diagonal, which no SYRK task computes, so tasks never write the same entry.</summary>
    public static void MirrorBlock<T>(T* c, int ldc, int i0, int i1, int j0, int j1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int B = 32;
        for (int ib = i0; ib < i1; ib += B)
        {
            int rows = Math.Min(B, i1 - ib);
            // Columns left of the block's first row are below the diagonal for all its rows: whole-block transposes.
            int fullEnd = Math.Min(j1, ib);
            for (int jb = j0; jb < fullEnd; jb += B)
                Transpose.Copy(c + (long)ib * ldc + jb, ldc, rows, Math.Min(B, fullEnd - jb), c + (long)jb * ldc + ib, ldc);
            // The triangle inside the block's own columns, element by element.
            for (int i = ib, jStart = Math.Max(j0, ib); i < ib + rows; i++)
            {
                T* row = c + (long)i * ldc;
                for (int j = jStart, end = Math.Min(j1, i); j < end; j++) c[(long)j * ldc + i] = row[j];
            }
        }
    }
}

using System.Numerics;
using Kfac.Cpu.Blas;

namespace Kfac.Cpu;

/// <summary>
/// Row-major general matrix multiply: C = alpha * op(A) * op(B) + beta * C, where op(A) is m x k, op(B) is k x n
/// and C is m x n. lda/ldb/ldc are the row strides of the matrices AS STORED (A is stored k x m when transA, B is
/// stored n x k when transB). beta == 0 means C is overwritten (NaNs in C are not propagated); k == 0 or
/// alpha == 0 give C = beta * C without reading A or B. maxThreads = 0 uses <see cref="CpuParallel.MaxThreads"/>.
/// <para>
/// Packed, register-tiled SIMD implementation (Goto and van de Geijn 2008; BLIS): see
/// <see cref="GemmDriver{T, TK}"/> for the loop nest and blocking, MicroKernel512/MicroKernel256 for the register
/// tiles. No allocation per call: packing buffers are per-thread native memory reused across calls.
/// </para>
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Float32 C = alpha op(A) op(B) + beta C (see the class remarks for the stride and beta conventions).</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int maxThreads = 0) =>
        Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maxThreads);

    /// <summary>Float64 C = alpha op(A) op(B) + beta C (see the class remarks for the stride and beta conventions).</summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc,
        int maxThreads = 0) =>
        Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maxThreads);

    /// <summary>Either precision (the public entry points are this with T fixed).</summary>
    internal static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, maxThreads);
        fixed (T* pa = a, pb = b, pc = c)
        {
            var pr = new GemmProblem<T>
            {
                A = pa, B = pb, C = pc, Lda = lda, Ldb = ldb, Ldc = ldc, TransA = transA, TransB = transB,
                M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            };
            GemmRunner.Run(pr, maxThreads);
        }
    }

    private static void Validate<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int maxThreads)
    {
        var ctx = new CallShape(m, n, k, transA, transB, IsSyrk: false);
        GemmArgs.NonNegative(m, nameof(m), ctx);
        GemmArgs.NonNegative(n, nameof(n), ctx);
        GemmArgs.NonNegative(k, nameof(k), ctx);
        GemmArgs.MaxThreads(maxThreads);
        GemmArgs.Matrix(nameof(a), a.Length, nameof(lda), lda, transA ? k : m, transA ? m : k, transA ? "A (k x m, transA)" : "A (m x k)", ctx);
        GemmArgs.Matrix(nameof(b), b.Length, nameof(ldb), ldb, transB ? n : k, transB ? k : n, transB ? "B (n x k, transB)" : "B (k x n)", ctx);
        GemmArgs.Matrix(nameof(c), c.Length, nameof(ldc), ldc, m, n, "C (m x n)", ctx);
        if (m > 0 && n > 0 && k > 0)
        {
            // Compare only the extents the call touches: callers (blocked triangular solves) pass slices of one
            // buffer whose tails overlap while the rows actually read and written do not.
            var cUsed = c[..Extent(m, n, ldc)];
            if (cUsed.Overlaps(a[..Extent(transA ? k : m, transA ? m : k, lda)]))
                throw new ArgumentException($"c overlaps a: C must not alias an input ({ctx})", nameof(c));
            if (cUsed.Overlaps(b[..Extent(transB ? n : k, transB ? k : n, ldb)]))
                throw new ArgumentException($"c overlaps b: C must not alias an input ({ctx})", nameof(c));
        }
    }

    /// <summary>Elements from the first to one past the last of a rows x cols matrix with row stride ld.</summary>
    private static int Extent(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

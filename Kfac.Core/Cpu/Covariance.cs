using System.Numerics;
using Kfac.Cpu.Blas;

namespace Kfac.Cpu;

/// <summary>
/// SYRK-style covariance: C (n x n) = beta * C + alpha * X^T X, X is m x n row-major with row stride ldx (rows are
/// examples). Only the tiles on and below the diagonal are computed (with the GEMM micro-kernel, the diagonal tiles
/// through a buffer that keeps only their lower part), and each task mirrors the rows it finished to the upper
/// triangle, so the result is exactly symmetric. About half the flops of the full GEMM X^T X. m == 0 or alpha == 0 give
/// C = beta * C (symmetrised from its lower triangle); beta == 0 overwrites C.
/// </summary>
public static unsafe class Covariance
{
    /// <summary>Float32 C (n x n) = beta C + alpha X^T X for X m x n row-major (rows are examples), both triangles written.</summary>
    public static void Ssyrk(int m, int n, float alpha, ReadOnlySpan<float> x, int ldx, float beta, Span<float> c, int ldc,
        int maxThreads = 0) => Run(m, n, alpha, x, ldx, beta, c, ldc, maxThreads, transposed: false, mirror: true);

    /// <summary>Float64 C (n x n) = beta C + alpha X^T X for X m x n row-major (rows are examples), both triangles written.</summary>
    public static void Dsyrk(int m, int n, double alpha, ReadOnlySpan<double> x, int ldx, double beta, Span<double> c, int ldc,
        int maxThreads = 0) => Run(m, n, alpha, x, ldx, beta, c, ldc, maxThreads, transposed: false, mirror: true);

    /// <summary>Only the lower triangle of C is written (the upper one is left as it was): for factorizations whose
    /// trailing updates never read the upper triangle.</summary>
    internal static void SyrkLower<T>(int m, int n, T alpha, ReadOnlySpan<T> x, int ldx, T beta, Span<T> c, int ldc, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T> => Run(m, n, alpha, x, ldx, beta, c, ldc, maxThreads, transposed: false, mirror: false);

    /// <summary><see cref="SsyrkTransposed"/> writing only the lower triangle of C (see <see cref="SyrkLower{T}"/>).</summary>
    internal static void SyrkTransposedLower<T>(int n, int k, T alpha, ReadOnlySpan<T> x, int ldx, T beta, Span<T> c, int ldc, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T> => Run(k, n, alpha, x, ldx, beta, c, ldc, maxThreads, transposed: true, mirror: false);

    /// <summary>C (n x n) = beta * C + alpha * X X^T for X n x k row-major (columns are examples), row stride ldx.</summary>
    public static void SsyrkTransposed(int n, int k, float alpha, ReadOnlySpan<float> x, int ldx, float beta, Span<float> c, int ldc,
        int maxThreads = 0) => Run(k, n, alpha, x, ldx, beta, c, ldc, maxThreads, transposed: true, mirror: true);

    /// <summary>Float64 C (n x n) = beta C + alpha X X^T for X n x k row-major (columns are examples), row stride ldx.</summary>
    public static void DsyrkTransposed(int n, int k, double alpha, ReadOnlySpan<double> x, int ldx, double beta, Span<double> c, int ldc,
        int maxThreads = 0) => Run(k, n, alpha, x, ldx, beta, c, ldc, maxThreads, transposed: true, mirror: true);

    /// <summary>m examples of n features: X is m x n (or n x m when transposed).</summary>
    private static void Run<T>(int m, int n, T alpha, ReadOnlySpan<T> x, int ldx, T beta, Span<T> c, int ldc, int maxThreads, bool transposed,
        bool mirror)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ctx = new CallShape(m, n, 0, transposed, !transposed, IsSyrk: true);
        GemmArgs.NonNegative(m, nameof(m), ctx);
        GemmArgs.NonNegative(n, nameof(n), ctx);
        GemmArgs.MaxThreads(maxThreads);
        if (transposed) GemmArgs.Matrix(nameof(x), x.Length, nameof(ldx), ldx, n, m, "X (n x k)", ctx);
        else GemmArgs.Matrix(nameof(x), x.Length, nameof(ldx), ldx, m, n, "X (m x n)", ctx);
        GemmArgs.Matrix(nameof(c), c.Length, nameof(ldc), ldc, n, n, "C (n x n)", ctx);
        if (m > 0 && n > 0 && c.Overlaps(x))
            throw new ArgumentException($"c overlaps x: C must not alias X ({ctx})", nameof(c));
        if (n == 0) return;
        fixed (T* px = x, pc = c)
        {
            // C = alpha * op(A) op(B) with op(A) = X^T (A = X stored m x n, transA) and op(B) = X; transposed:
            // op(A) = X (stored n x m) and op(B) = X^T (transB).
            var pr = new GemmProblem<T>
            {
                A = px, B = px, C = pc, Lda = ldx, Ldb = ldx, Ldc = ldc, TransA = !transposed, TransB = transposed, LowerOnly = true,
                NoMirror = !mirror,
                M = n, N = n, K = m, Alpha = alpha, Beta = beta,
            };
            GemmRunner.Run(pr, maxThreads); // mirrors the lower triangle to the upper one (see GemmRunner.MirrorBlock)
        }
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kfac.Cpu;

namespace Kfac.Linalg;

/// <summary>
/// Generic front for the CPU level-3 kernels (<see cref="Gemm"/>, <see cref="Covariance"/>) so the
/// factorisations are written once for float and double. The typeof tests are JIT-time constants for value
/// types, so each instantiation compiles to a direct call.
/// </summary>
internal static class Blas
{
    /// <summary>C = alpha op(A) op(B) + beta C, row-major; see <see cref="Gemm.Dgemm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        if (typeof(T) == typeof(double))
            Cpu.Gemm.Dgemm(transA, transB, m, n, k, Unsafe.As<T, double>(ref alpha), Cast<T, double>(a), lda,
                Cast<T, double>(b), ldb, Unsafe.As<T, double>(ref beta), MemoryMarshal.Cast<T, double>(c), ldc, maxThreads);
        else if (typeof(T) == typeof(float))
            Cpu.Gemm.Sgemm(transA, transB, m, n, k, Unsafe.As<T, float>(ref alpha), Cast<T, float>(a), lda,
                Cast<T, float>(b), ldb, Unsafe.As<T, float>(ref beta), MemoryMarshal.Cast<T, float>(c), ldc, maxThreads);
        else
            throw new NotSupportedException($"Kfac.Linalg supports float and double, not {typeof(T).Name}.");
    }

    /// <summary>C = beta C + alpha X^T X with X (m x n, row stride ldx); writes only C's lower triangle (the
    /// factorizations that call it never read the upper one, so it is not mirrored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Syrk<T>(int m, int n, T alpha, ReadOnlySpan<T> x, int ldx, T beta, Span<T> c, int ldc, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        if (typeof(T) != typeof(double) && typeof(T) != typeof(float))
            throw new NotSupportedException($"Kfac.Linalg supports float and double, not {typeof(T).Name}.");
        Covariance.SyrkLower(m, n, alpha, x, ldx, beta, c, ldc, maxThreads);
    }

    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> s) where TFrom : struct where TTo : struct =>
        MemoryMarshal.Cast<TFrom, TTo>(s);

    /// <summary>Threads for our own (non-GEMM) parallel loops: maxThreads = 0 means all cores; negative throws, as GEMM does.
    /// 1 inside a <see cref="Cpu.CpuParallel"/> body (work already spread over the cores, as GEMM resolves it too).</summary>
    public static int Threads(int maxThreads) => maxThreads switch
    {
        < 0 => throw new ArgumentOutOfRangeException(nameof(maxThreads), maxThreads, "maxThreads must be >= 0 (0 = all cores)."),
        _ when Cpu.CpuParallel.IsInsideBody => 1,
        0 => Environment.ProcessorCount,
        _ => Math.Min(maxThreads, Environment.ProcessorCount),
    };
}

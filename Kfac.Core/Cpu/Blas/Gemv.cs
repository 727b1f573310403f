using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Kfac.Cpu.Blas;

/// <summary>
/// The n = 1 GEMM (a matrix-vector product y = alpha op(A) x + beta y) without packing: the packed driver would
/// copy all of A into panels to produce one column, which costs as much as the product itself. Rows of A are
/// contiguous, so op(A) = A is one SIMD dot product per row and op(A) = A^T one SIMD axpy per row of A.
/// Memory-bound either way (each element of A read once).
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>Elements of A below which one thread does the whole product (the claim costs more than it saves): one
    /// thread streams A at memory speed (K-FAC's bias column, op(A) 1000 x 785 transposed: 0.09 ms on Zen 5), while two
    /// took 0.14-1.2 ms in the same runs when the second thread had to be woken.</summary>
    private const long ParallelElements = 1 << 20;

    public static void Run<T>(in GemmProblem<T> pr, int maxThreads = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = pr.M, k = pr.K;
        // x = the single column of op(B): contiguous when B is stored transposed (1 x k), else every Ldb-th element.
        T[] xRented = ArrayPool<T>.Shared.Rent(k);
        try
        {
            var x = xRented.AsSpan(0, k);
            int stride = pr.TransB ? 1 : pr.Ldb;
            for (int p = 0; p < k; p++) x[p] = pr.B[(long)p * stride];
            fixed (T* px = x)
            {
                // Each output entry is computed by exactly one thread, so the result does not depend on the split.
                var body = new RowsBody<T> { Pr = pr, X = px };
                int threads = (long)m * k < ParallelElements ? 1 : CpuParallel.ResolveThreads(maxThreads);
                if (threads == 1) body.Invoke(0, m);
                else CpuParallel.For(0, m, body, grain: Math.Clamp(m / (4 * threads), 16, 256), maxThreads: threads);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(xRented);
        }
    }

    /// <summary>Output entries [start, end): one SIMD dot product per row of A, or (A stored k x m) one SIMD axpy per
    /// row of A restricted to those columns.</summary>
    private struct RowsBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Output entries accumulated at a time (a stack buffer; with A stored transposed, the slice of each
        /// row of A that the axpy reads).</summary>
        private const int Chunk = 256;

        public GemmProblem<T> Pr;
        public T* X;

        public readonly void Invoke(int start, int end)
        {
            Span<T> acc = stackalloc T[Chunk];
            for (int c0 = start; c0 < end; c0 += Chunk) Entries(c0, Math.Min(end, c0 + Chunk), acc);
        }

        private readonly void Entries(int start, int end, Span<T> buffer)
        {
            int k = Pr.K, n = end - start;
            var x = new ReadOnlySpan<T>(X, k);
            var acc = buffer[..n];
            if (!Pr.TransA)
            {
                for (int i = 0; i < n; i++) acc[i] = TensorPrimitives.Dot<T>(new ReadOnlySpan<T>(Pr.A + (long)(start + i) * Pr.Lda, k), x);
            }
            else
            {
                // A stored k x m: op(A) x = sum_p x_p A[p, :]
                acc.Clear();
                for (int p = 0; p < k; p++)
                    TensorPrimitives.MultiplyAdd<T>(new ReadOnlySpan<T>(Pr.A + (long)p * Pr.Lda + start, n), x[p], acc, acc);
            }
            for (int i = 0; i < n; i++)
            {
                T* y = Pr.C + (long)(start + i) * Pr.Ldc;
                *y = Pr.Beta == T.Zero ? Pr.Alpha * acc[i] : Pr.Alpha * acc[i] + Pr.Beta * *y;
            }
        }
    }
}

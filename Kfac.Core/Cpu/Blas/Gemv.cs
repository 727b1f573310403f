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
    public static void Run<T>(in GemmProblem<T> pr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = pr.M, k = pr.K;
        // x = the single column of op(B): contiguous when B is stored transposed (1 x k), else every Ldb-th element.
        T[] xRented = ArrayPool<T>.Shared.Rent(k);
        T[] accRented = ArrayPool<T>.Shared.Rent(m);
        try
        {
            var x = xRented.AsSpan(0, k);
            int stride = pr.TransB ? 1 : pr.Ldb;
            for (int p = 0; p < k; p++) x[p] = pr.B[(long)p * stride];
            var acc = accRented.AsSpan(0, m);
            if (!pr.TransA)
            {
                for (int i = 0; i < m; i++) acc[i] = TensorPrimitives.Dot<T>(new ReadOnlySpan<T>(pr.A + (long)i * pr.Lda, k), x);
            }
            else
            {
                // A stored k x m: op(A) x = sum_p x_p A[p, :]
                acc.Clear();
                for (int p = 0; p < k; p++)
                    TensorPrimitives.MultiplyAdd<T>(new ReadOnlySpan<T>(pr.A + (long)p * pr.Lda, m), x[p], acc, acc);
            }
            for (int i = 0; i < m; i++)
            {
                T* y = pr.C + (long)i * pr.Ldc;
                *y = pr.Beta == T.Zero ? pr.Alpha * acc[i] : pr.Alpha * acc[i] + pr.Beta * *y;
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(xRented);
            ArrayPool<T>.Shared.Return(accRented);
        }
    }
}

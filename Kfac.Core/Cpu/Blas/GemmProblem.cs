using System.Numerics;

namespace Kfac.Cpu.Blas;

/// <summary>One validated GEMM call: C (m x n, row stride Ldc) = Alpha * op(A) * op(B) + Beta * C with pinned operands.
/// LowerOnly: only entries (i, j) with j &lt;= i are written (SYRK).</summary>
internal unsafe struct GemmProblem<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* A, B, C;
    public int Lda, Ldb, Ldc;
    public bool TransA, TransB, LowerOnly;
    public int M, N, K;
    public T Alpha, Beta;
}

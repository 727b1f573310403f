using System.Numerics;

namespace Kfac.Cpu.Blas;

/// <summary>One validated GEMM call: C (m x n, row stride Ldc) = Alpha * op(A) * op(B) + Beta * C with pinned operands.
/// LowerOnly: only entries (i, j) with j &lt;= i are computed (SYRK), then mirrored to the upper triangle unless
/// NoMirror.</summary>
internal unsafe struct GemmProblem<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* A, B, C;
    public int Lda, Ldb, Ldc;
    public bool TransA, TransB, LowerOnly, NoMirror;
    public int M, N, K;
    public T Alpha, Beta;
}

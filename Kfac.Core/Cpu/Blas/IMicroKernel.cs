using System.Numerics;

namespace Kfac.Cpu.Blas;

/// <summary>
/// A GEMM micro-kernel (the innermost loop of Goto and van de Geijn 2008, "Anatomy of high-performance matrix
/// multiplication", ACM TOMS 34(3); BLIS calls it the micro-kernel): C[0:mr, 0:nr] = alpha * Ap * Bp + beta * C
/// where Ap is an mr x kc block of op(A) and Bp a kc x nr block of op(B), usually packed micro-panels (see
/// <see cref="KernelOperands{T}"/>). Packed B is zero padded past nr. beta == 0 overwrites C without reading it.
/// Implemented by structs so the driver, generic over the kernel, is specialised and the calls are direct.
/// </summary>
internal unsafe interface IMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows of the register tile (the broadcast dimension).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile (the vector dimension), a multiple of the vector width.</summary>
    static abstract int NR { get; }

    static abstract bool IsSupported { get; }

    static abstract void Tile(int mr, int nr, int kc, in KernelOperands<T> x, T* c, int ldc, T alpha, T beta);
}

/// <summary>
/// Where the micro-kernel finds its operands. Packed: A = MR-wide micro-panel (AStep = MR, ARow = 0), B = NR-wide
/// micro-panel (BStep = NR). In place, when packing would not pay for itself (a thin operand used by only one or two
/// tiles): A^T stored k x m gives A(r, p) at A[p * lda + r] (AStep = lda, ARow = 0); A stored m x k gives A(r, p) at
/// A[r * lda + p] (ARow = lda, AStep unused); B stored k x n gives row p at B + p * ldb (BStep = ldb, full panels only).
/// </summary>
internal unsafe struct KernelOperands<T> where T : unmanaged
{
    public T* A;
    public nint AStep, ARow;
    public T* B;
    public nint BStep;
}

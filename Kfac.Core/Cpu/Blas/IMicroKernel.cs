using System.Numerics;

namespace Kfac.Cpu.Blas;

/// <summary>
/// A GEMM micro-kernel (the innermost loop of Goto and van de Geijn 2008, "Anatomy of high-performance matrix
/// multiplication", ACM TOMS 34(3); BLIS calls it the micro-kernel): C[0:mr, 0:nr] = alpha * Ap * Bp + beta * C
/// where Ap is a packed kc x MR micro-panel of A (column p of the tile at a + p*MR) and Bp a packed kc x NR
/// micro-panel of B (row p at b + p*NR), both zero padded past mr / nr. beta == 0 overwrites C without reading it.
/// Implemented by structs so the driver, generic over the kernel, is specialised and the calls are direct.
/// </summary>
internal unsafe interface IMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows of the register tile (the broadcast dimension).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile (the vector dimension), a multiple of the vector width.</summary>
    static abstract int NR { get; }

    static abstract bool IsSupported { get; }

    static abstract void Tile(int mr, int nr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta);
}

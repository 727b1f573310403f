using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// Inverts every nb x nb diagonal block of the lower-triangular Cholesky factor L (in w) into the same block of v,
/// one group per block (the last block may be smaller). Column j of a block's inverse X solves L X e_j = e_j by
/// forward substitution: X[j, j] = 1 / L[j, j], X[i, j] = -(sum_{k=j}^{i-1} L[i, k] X[k, j]) / L[i, i]; the columns
/// are independent, so thread j computes column j with L staged in shared memory. The block's upper part is zeroed.
/// The blocks below the diagonal of L^-1 are then formed by GEMMs (see IlgpuBackend.SpdInverse).
/// </summary>
internal static class TriangularInverseDiagonalKernel
{
    public static void Run<T>(ArrayView<T> w, ArrayView<T> v, int n, int nb) where T : unmanaged, INumber<T>
    {
        const int ld = KernelLimits.CholeskyStride;
        var l = SharedMemory.Allocate<T>(KernelLimits.CholeskyBlock * ld);
        var x = SharedMemory.Allocate<T>(KernelLimits.CholeskyBlock * ld);
        int j0 = Grid.IdxX * nb;
        int bs = n - j0 < nb ? n - j0 : nb;
        int origin = j0 * n + j0;
        for (int e = Group.IdxX; e < bs * bs; e += Group.DimX)
        {
            int i = e / bs, j = e - i * bs;
            l[i * ld + j] = w[origin + i * n + j];
            x[i * ld + j] = T.Zero;
        }
        Group.Barrier();

        for (int j = Group.IdxX; j < bs; j += Group.DimX)
        {
            x[j * ld + j] = T.One / l[j * ld + j];
            for (int i = j + 1; i < bs; i++)
            {
                T s = T.Zero;
                for (int k = j; k < i; k++) s += l[i * ld + k] * x[k * ld + j];
                x[i * ld + j] = -s / l[i * ld + i];
            }
        }
        Group.Barrier();

        for (int e = Group.IdxX; e < bs * bs; e += Group.DimX)
        {
            int i = e / bs, j = e - i * bs;
            v[origin + i * n + j] = x[i * ld + j];
        }
    }
}

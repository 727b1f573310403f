using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// The panel step of the blocked Cholesky: L21 = A21 L11^-T for the rows below the diagonal block at j0 (a TRSM).
/// Each row x of L21 solves x L11^T = a, i.e. forward substitution with L11, independently of the other rows, so
/// there is one thread per row (grid-stride over rows). Every group first stages L11 (bs &lt;= 32) in shared memory.
/// </summary>
internal static class CholeskyPanelKernel
{
    public static void Run<T>(ArrayView<T> w, int n, int j0, int bs) where T : unmanaged, INumber<T>
    {
        const int ld = KernelLimits.CholeskyStride;
        var l11 = SharedMemory.Allocate<T>(KernelLimits.CholeskyBlock * ld);
        int origin = j0 * n + j0;
        for (int l = Group.IdxX; l < bs * bs; l += Group.DimX)
        {
            int i = l / bs, j = l - i * bs;
            l11[i * ld + j] = w[origin + i * n + j];
        }
        Group.Barrier();

        int first = j0 + bs, rows = n - first;
        for (int r = Grid.GlobalIndex.X; r < rows; r += Grid.DimX * Group.DimX)
        {
            int row = (first + r) * n + j0;
            for (int c = 0; c < bs; c++)
            {
                T v = w[row + c];
                for (int q = 0; q < c; q++) v -= w[row + q] * l11[c * ld + q];
                w[row + c] = v / l11[c * ld + c];
            }
        }
    }
}

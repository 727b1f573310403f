using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// One-hot categorical samples by inverse CDF: row r gets a 1 in the first column c whose running sum
/// p[r, 0] + ... + p[r, c] exceeds u[r] (the last column if rounding leaves none), 0 elsewhere. One thread per row
/// (grid-stride over rows) scans its row in order, accumulating in T as the CPU backend does, so both pick the same
/// column from the same probabilities.
/// </summary>
internal static class SampleCategoricalKernel
{
    public static void Run<T>(ArrayView<T> p, ArrayView<T> u, ArrayView<T> result, int rows, int cols) where T : unmanaged, INumber<T>
    {
        for (int r = Grid.GlobalIndex.X; r < rows; r += Grid.DimX * Group.DimX)
        {
            T c = T.Zero, ur = u[r];
            int chosen = cols - 1;
            for (int j = 0; j < cols; j++)
            {
                c += p[r * cols + j];
                if (ur < c)
                {
                    chosen = j;
                    break;
                }
            }
            for (int j = 0; j < cols; j++) result[r * cols + j] = j == chosen ? T.One : T.Zero;
        }
    }
}

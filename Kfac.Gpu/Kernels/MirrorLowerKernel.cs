using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>c[i * n + j] = c[j * n + i] for j &gt; i: the strictly upper triangle of C [n, n] becomes the transpose of
/// the lower one (grid-stride over all n^2 positions in row-major order, those on and below the diagonal idle; reads
/// only the lower triangle and writes only the upper, so no thread reads what another writes).</summary>
internal static class MirrorLowerKernel
{
    public static void Run<T>(ArrayView<T> c, int n) where T : unmanaged, INumber<T>
    {
        long total = (long)n * n;
        for (long l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int i = (int)(l / n), j = (int)(l - (long)i * n);
            if (j > i) c[i * n + j] = c[j * n + i];
        }
    }
}

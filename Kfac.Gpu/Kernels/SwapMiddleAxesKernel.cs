using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>y[o, j, i, k] = x[o, i, j, k] for x [outer, a, b, inner] and y [outer, b, a, inner]: one thread per
/// element of y, grid-stride in y's order, so writes coalesce and reads come in runs of inner contiguous elements
/// (the NCHW / CNHW moves, inner = H W). Inner = 1 (batched transposes) goes to <see cref="BatchedTransposeKernel"/>.</summary>
internal static class SwapMiddleAxesKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, SwapArgs s) where T : unmanaged, INumber<T>
    {
        int total = s.Outer * s.A * s.B * s.Inner;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int rest = l / s.Inner, k = l - rest * s.Inner;
            int rest2 = rest / s.A, i = rest - rest2 * s.A;
            int o = rest2 / s.B, j = rest2 - o * s.B;
            y[l] = x[((o * s.A + i) * s.B + j) * s.Inner + k];
        }
    }
}

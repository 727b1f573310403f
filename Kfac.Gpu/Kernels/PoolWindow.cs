using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>Max-pooling windows (device functions shared by the pooling kernels).</summary>
internal static class PoolWindow
{
    /// <summary>Index within the plane (ih W + iw) of the FIRST maximal element of window (p, q) of the plane of x
    /// starting at <paramref name="plane"/>, scanning the window clipped to the image in row-major order with a
    /// strict &gt; (the CPU backend's rule: a NaN never replaces the current best, a NaN first element stays).
    /// The clipped window is not empty when the padding is smaller than the kernel (the launcher checks).</summary>
    public static int ArgMax<T>(ArrayView<T> x, int plane, WindowArgs g, int p, int q) where T : unmanaged, INumber<T>
    {
        int top = p * g.StrideH - g.PadH, left = q * g.StrideW - g.PadW;
        int i0 = top > 0 ? top : 0, j0 = left > 0 ? left : 0;
        int i1 = top + g.KernelH < g.Height ? top + g.KernelH : g.Height;
        int j1 = left + g.KernelW < g.Width ? left + g.KernelW : g.Width;
        int arg = i0 * g.Width + j0;
        T best = x[plane + arg];
        for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++)
            {
                T v = x[plane + i * g.Width + j];
                if (v > best)
                {
                    best = v;
                    arg = i * g.Width + j;
                }
            }
        return arg;
    }
}

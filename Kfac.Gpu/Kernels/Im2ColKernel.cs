using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// im2col, patches as columns: cols[q, r] = x[b, c, oh sh - ph + i, ow sw - pw + j] (0 in the padding) with
/// q = (c kh + i) kw + j and r = (b Hout + oh) Wout + ow. One thread per element of cols, grid-stride in cols'
/// row-major order: consecutive threads write consecutive columns (coalesced) and read one input row at stride sw.
/// </summary>
internal static class Im2ColKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> cols, WindowArgs g) where T : unmanaged, INumber<T>
    {
        int locations = g.OutHeight * g.OutWidth, patches = g.Batch * locations;
        int total = g.Channels * g.KernelH * g.KernelW * patches;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int q = l / patches, r = l - q * patches;
            int b = r / locations, t = r - b * locations;
            int oh = t / g.OutWidth, ow = t - oh * g.OutWidth;
            int ci = q / g.KernelW, j = q - ci * g.KernelW;
            int c = ci / g.KernelH, i = ci - c * g.KernelH;
            int ih = oh * g.StrideH - g.PadH + i, iw = ow * g.StrideW - g.PadW + j;
            cols[l] = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width
                ? x[((b * g.Channels + c) * g.Height + ih) * g.Width + iw]
                : T.Zero;
        }
    }
}

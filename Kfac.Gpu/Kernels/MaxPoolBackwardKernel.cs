using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// dx (+)= dy routed to each window's arg max, without atomics: one thread per input element (b, c, ih, iw) visits
/// the windows that cover it (rows p with p sh - ph &lt;= ih &lt; p sh - ph + kh, likewise columns), recomputes
/// each one's arg max (<see cref="PoolWindow.ArgMax"/>) and adds dy[p, q] where it is this element. Starting from
/// dx (accumulate) or 0, windows are visited in (p, q) row-major order, the CPU backend's order, so overlapping
/// windows sum the same way bit for bit. Grid-stride over dx.
/// </summary>
internal static class MaxPoolBackwardKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> dy, ArrayView<T> dx, WindowArgs g, int accumulate) where T : unmanaged, INumber<T>
    {
        int planeIn = g.Height * g.Width, locations = g.OutHeight * g.OutWidth;
        int total = g.Batch * g.Channels * planeIn;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int plane = l / planeIn, e = l - plane * planeIn;
            int ih = e / g.Width, iw = e - ih * g.Width;
            // Windows p covering row ih: p sh >= ih + ph - kh + 1 and p sh <= ih + ph.
            int lowH = ih + g.PadH - g.KernelH + 1, lowW = iw + g.PadW - g.KernelW + 1;
            int p0 = lowH <= 0 ? 0 : (lowH + g.StrideH - 1) / g.StrideH;
            int q0 = lowW <= 0 ? 0 : (lowW + g.StrideW - 1) / g.StrideW;
            int p1 = (ih + g.PadH) / g.StrideH, q1 = (iw + g.PadW) / g.StrideW;
            if (p1 > g.OutHeight - 1) p1 = g.OutHeight - 1;
            if (q1 > g.OutWidth - 1) q1 = g.OutWidth - 1;
            int offset = plane * planeIn, outOffset = plane * locations;
            T s = accumulate != 0 ? dx[l] : T.Zero;
            for (int p = p0; p <= p1; p++)
                for (int q = q0; q <= q1; q++)
                    if (PoolWindow.ArgMax(x, offset, g, p, q) == e) s += dy[outOffset + p * g.OutWidth + q];
            dx[l] = s;
        }
    }
}

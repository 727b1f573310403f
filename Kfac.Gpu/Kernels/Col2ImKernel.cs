using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// col2im (the adjoint of <see cref="Im2ColKernel"/>) without atomics: one thread per input element (b, c, ih, iw)
/// gathers every cols[q, r] that im2col read from it, i.e. for each kernel offset (i, j) the window position
/// oh = (ih + ph - i) / sh, ow = (iw + pw - j) / sw when both divide exactly and lie in the output. Starting from dx
/// (accumulate) or 0, the terms are added in (i, j) row-major order, the order in which the CPU backend's
/// traversal adds them, so the result is the same bit for bit and deterministic. Grid-stride over dx.
/// </summary>
internal static class Col2ImKernel
{
    public static void Run<T>(ArrayView<T> cols, ArrayView<T> dx, WindowArgs g, int accumulate) where T : unmanaged, INumber<T>
    {
        int patches = g.Batch * g.OutHeight * g.OutWidth;
        int total = g.Batch * g.Channels * g.Height * g.Width;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int rest = l / g.Width, iw = l - rest * g.Width;
            int plane = rest / g.Height, ih = rest - plane * g.Height;
            int b = plane / g.Channels, c = plane - b * g.Channels;
            T s = accumulate != 0 ? dx[l] : T.Zero;
            // (ih + ph - i) decreases with i: once negative, no later row offset has a window.
            for (int i = 0; i < g.KernelH && ih + g.PadH - i >= 0; i++)
            {
                int hs = ih + g.PadH - i, oh = hs / g.StrideH;
                if (oh * g.StrideH != hs || oh >= g.OutHeight) continue;
                int row = (c * g.KernelH + i) * g.KernelW;
                int column = (b * g.OutHeight + oh) * g.OutWidth;
                for (int j = 0; j < g.KernelW && iw + g.PadW - j >= 0; j++)
                {
                    int ws = iw + g.PadW - j, ow = ws / g.StrideW;
                    if (ow * g.StrideW != ws || ow >= g.OutWidth) continue;
                    s += cols[(row + j) * patches + column + ow];
                }
            }
            dx[l] = s;
        }
    }
}

using System.Numerics;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// Max pooling over NCHW planes. The forward pass keeps no index tensor: backward and JVP recompute each
/// window's arg max from x (the first maximal element in row-major window order), so all three agree on
/// ties. Planes (b, c) are independent, the unit to spread over cores.
/// </summary>
internal sealed partial class CpuBackend
{
    public void MaxPool(Tensor x, WindowGeometry g, Tensor y)
    {
        if (IsDouble(x)) MaxPoolRoute<double>(S<double>(x), g, S<double>(x), S<double>(y), PoolRoute.Forward);
        else MaxPoolRoute<float>(S<float>(x), g, S<float>(x), S<float>(y), PoolRoute.Forward);
    }

    public void MaxPoolBackward(Tensor x, Tensor dy, WindowGeometry g, Tensor dx, bool accumulate)
    {
        if (IsDouble(x))
        {
            if (!accumulate) S<double>(dx).Clear();
            MaxPoolRoute<double>(S<double>(x), g, S<double>(dy), S<double>(dx), PoolRoute.Scatter);
        }
        else
        {
            if (!accumulate) S<float>(dx).Clear();
            MaxPoolRoute<float>(S<float>(x), g, S<float>(dy), S<float>(dx), PoolRoute.Scatter);
        }
    }

    public void MaxPoolJvp(Tensor x, Tensor tx, WindowGeometry g, Tensor ty)
    {
        if (IsDouble(x)) MaxPoolRoute<double>(S<double>(x), g, S<double>(tx), S<double>(ty), PoolRoute.Gather);
        else MaxPoolRoute<float>(S<float>(x), g, S<float>(tx), S<float>(ty), PoolRoute.Gather);
    }

    /// <summary>What to do with each window's arg max a (flat index into the plane of x).</summary>
    private enum PoolRoute
    {
        /// <summary>output[window] = x[a] (the max itself; <c>source</c> is x).</summary>
        Forward,
        /// <summary>output[a] += source[window] (backward: <c>source</c> is dy, output is dx).</summary>
        Scatter,
        /// <summary>output[window] = source[a] (JVP: <c>source</c> is tx, output is ty).</summary>
        Gather,
    }

    private static void MaxPoolRoute<T>(ReadOnlySpan<T> x, WindowGeometry g, ReadOnlySpan<T> source, Span<T> output, PoolRoute route)
        where T : unmanaged, INumber<T>
    {
        int planeIn = g.Height * g.Width, planeOut = g.Locations;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
        {
            var xp = x.Slice(plane * planeIn, planeIn);
            int inBase = plane * planeIn, outBase = plane * planeOut;
            for (int p = 0; p < g.OutHeight; p++)
            {
                int top = p * g.StrideH - g.PadH;
                int i0 = Math.Max(0, top), i1 = Math.Min(g.Height, top + g.KernelH);
                for (int q = 0; q < g.OutWidth; q++)
                {
                    int left = q * g.StrideW - g.PadW;
                    int j0 = Math.Max(0, left), j1 = Math.Min(g.Width, left + g.KernelW);
                    // First maximal element in row-major order; a window always holds at least one real element
                    // because the geometry check keeps the padding smaller than the kernel's reach.
                    int arg = i0 * g.Width + j0;
                    T best = xp[arg];
                    for (int i = i0; i < i1; i++)
                        for (int j = j0; j < j1; j++)
                        {
                            T v = xp[i * g.Width + j];
                            if (v > best) { best = v; arg = i * g.Width + j; }
                        }
                    int o = outBase + p * g.OutWidth + q;
                    switch (route)
                    {
                        case PoolRoute.Forward: output[o] = best; break;
                        case PoolRoute.Scatter: output[inBase + arg] += source[o]; break;
                        case PoolRoute.Gather: output[o] = source[inBase + arg]; break;
                    }
                }
            }
        }
    }
}

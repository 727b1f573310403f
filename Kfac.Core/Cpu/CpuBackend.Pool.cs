using System.Numerics;
using System.Runtime.CompilerServices;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// Max pooling over NCHW planes. The forward pass keeps no index tensor: backward and JVP recompute each
/// window's arg max from x (the first maximal element in row-major window order), so all three agree on
/// ties. Planes (b, c) are independent, the unit to spread over cores. Compiled fully optimised at first use.
/// </summary>
internal sealed partial class CpuBackend
{
    public void MaxPool(Tensor x, WindowGeometry g, Tensor y)
    {
        if (IsDouble(x)) MaxPool<double>(S<double>(x), g, S<double>(y));
        else MaxPool<float>(S<float>(x), g, S<float>(y));
    }

    public void MaxPoolBackward(Tensor x, Tensor dy, WindowGeometry g, Tensor dx, bool accumulate)
    {
        if (IsDouble(x)) MaxPoolScatter<double>(S<double>(x), g, S<double>(dy), S<double>(dx), accumulate);
        else MaxPoolScatter<float>(S<float>(x), g, S<float>(dy), S<float>(dx), accumulate);
    }

    public void MaxPoolJvp(Tensor x, Tensor tx, WindowGeometry g, Tensor ty)
    {
        if (IsDouble(x)) MaxPoolGather<double>(S<double>(x), g, S<double>(tx), S<double>(ty));
        else MaxPoolGather<float>(S<float>(x), g, S<float>(tx), S<float>(ty));
    }

    /// <summary>y[window] = x[arg max].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPool<T>(ReadOnlySpan<T> x, WindowGeometry g, Span<T> y) where T : unmanaged, INumber<T>
    {
        int planeIn = g.Height * g.Width, planeOut = g.Locations, oh = g.OutHeight, ow = g.OutWidth;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
        {
            var xp = x.Slice(plane * planeIn, planeIn);
            var yp = y.Slice(plane * planeOut, planeOut);
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++)
                    yp[p * ow + q] = xp[ArgMax(xp, g, p, q)];
        }
    }

    /// <summary>dx[arg max] (+)= dy[window].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPoolScatter<T>(ReadOnlySpan<T> x, WindowGeometry g, ReadOnlySpan<T> dy, Span<T> dx, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        if (!accumulate) dx.Clear();
        int planeIn = g.Height * g.Width, planeOut = g.Locations, oh = g.OutHeight, ow = g.OutWidth;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
        {
            var xp = x.Slice(plane * planeIn, planeIn);
            var dxp = dx.Slice(plane * planeIn, planeIn);
            var dyp = dy.Slice(plane * planeOut, planeOut);
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++)
                    dxp[ArgMax(xp, g, p, q)] += dyp[p * ow + q];
        }
    }

    /// <summary>ty[window] = tx[arg max].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPoolGather<T>(ReadOnlySpan<T> x, WindowGeometry g, ReadOnlySpan<T> tx, Span<T> ty) where T : unmanaged, INumber<T>
    {
        int planeIn = g.Height * g.Width, planeOut = g.Locations, oh = g.OutHeight, ow = g.OutWidth;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
        {
            var xp = x.Slice(plane * planeIn, planeIn);
            var txp = tx.Slice(plane * planeIn, planeIn);
            var typ = ty.Slice(plane * planeOut, planeOut);
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++)
                    typ[p * ow + q] = txp[ArgMax(xp, g, p, q)];
        }
    }

    /// <summary>Flat index in the plane of the first maximal element of window (p, q), in row-major order. The window
    /// clipped to the image is never empty: the op keeps the padding at most half the kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ArgMax<T>(ReadOnlySpan<T> plane, WindowGeometry g, int p, int q) where T : unmanaged, INumber<T>
    {
        int top = p * g.StrideH - g.PadH, left = q * g.StrideW - g.PadW;
        int i0 = Math.Max(0, top), i1 = Math.Min(g.Height, top + g.KernelH);
        int j0 = Math.Max(0, left), j1 = Math.Min(g.Width, left + g.KernelW);
        int arg = i0 * g.Width + j0;
        T best = plane[arg];
        for (int i = i0; i < i1; i++)
        {
            var row = plane.Slice(i * g.Width + j0, j1 - j0);
            for (int j = 0; j < row.Length; j++)
                if (row[j] > best)
                {
                    best = row[j];
                    arg = i * g.Width + j0 + j;
                }
        }
        return arg;
    }
}

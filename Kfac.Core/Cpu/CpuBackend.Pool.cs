using System.Numerics;
using System.Runtime.CompilerServices;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// Max pooling over NCHW planes. The forward pass keeps no index tensor: backward and JVP recompute each
/// window's arg max from x (the first maximal element in row-major window order), so all three agree on
/// ties. Planes (b, c) are independent and are spread over <see cref="CpuParallel"/>'s threads.
/// </summary>
internal sealed partial class CpuBackend
{
    public void MaxPool(Tensor x, WindowGeometry g, Tensor y)
    {
        if (IsDouble(x)) MaxPool<double>(S<double>(x), g, S<double>(x), S<double>(y), PoolRoute.Forward, false);
        else MaxPool<float>(S<float>(x), g, S<float>(x), S<float>(y), PoolRoute.Forward, false);
    }

    public void MaxPoolBackward(Tensor x, Tensor dy, WindowGeometry g, Tensor dx, bool accumulate)
    {
        if (IsDouble(x)) MaxPool<double>(S<double>(x), g, S<double>(dy), S<double>(dx), PoolRoute.Scatter, accumulate);
        else MaxPool<float>(S<float>(x), g, S<float>(dy), S<float>(dx), PoolRoute.Scatter, accumulate);
    }

    public void MaxPoolJvp(Tensor x, Tensor tx, WindowGeometry g, Tensor ty)
    {
        if (IsDouble(x)) MaxPool<double>(S<double>(x), g, S<double>(tx), S<double>(ty), PoolRoute.Gather, false);
        else MaxPool<float>(S<float>(x), g, S<float>(tx), S<float>(ty), PoolRoute.Gather, false);
    }

    /// <summary>What happens at each window's arg max a.</summary>
    private enum PoolRoute
    {
        /// <summary>output[window] = x[a] (source is x).</summary>
        Forward,
        /// <summary>output[a] (+)= source[window] (backward: source dy, output dx).</summary>
        Scatter,
        /// <summary>output[window] = source[a] (forward mode: source tx, output ty).</summary>
        Gather,
    }

    private static unsafe void MaxPool<T>(Span<T> x, WindowGeometry g, Span<T> source, Span<T> output, PoolRoute route, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        var body = new PoolBody<T>
        {
            X = CpuBackend.Pointer(x), Source = CpuBackend.Pointer(source), Output = CpuBackend.Pointer(output),
            G = g, Route = route, Accumulate = accumulate,
        };
        CpuParallel.For(0, g.Batch * g.Channels, body, maxThreads: ThreadsFor(g.InputNumel));
    }

    private unsafe struct PoolBody<T> : IRangeBody where T : unmanaged, INumber<T>
    {
        public T* X, Source, Output;
        public WindowGeometry G;
        public PoolRoute Route;
        public bool Accumulate;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Invoke(int start, int end)
        {
            int planeIn = G.Height * G.Width, planeOut = G.Locations, oh = G.OutHeight, ow = G.OutWidth;
            for (int plane = start; plane < end; plane++)
            {
                var xp = new ReadOnlySpan<T>(X + (long)plane * planeIn, planeIn);
                switch (Route)
                {
                    case PoolRoute.Forward:
                        {
                            var yp = new Span<T>(Output + (long)plane * planeOut, planeOut);
                            for (int p = 0; p < oh; p++)
                                for (int q = 0; q < ow; q++) yp[p * ow + q] = xp[ArgMax(xp, G, p, q)];
                            break;
                        }
                    case PoolRoute.Scatter:
                        {
                            var dyp = new ReadOnlySpan<T>(Source + (long)plane * planeOut, planeOut);
                            var dxp = new Span<T>(Output + (long)plane * planeIn, planeIn);
                            if (!Accumulate) dxp.Clear();
                            for (int p = 0; p < oh; p++)
                                for (int q = 0; q < ow; q++) dxp[ArgMax(xp, G, p, q)] += dyp[p * ow + q];
                            break;
                        }
                    case PoolRoute.Gather:
                        {
                            var txp = new ReadOnlySpan<T>(Source + (long)plane * planeIn, planeIn);
                            var typ = new Span<T>(Output + (long)plane * planeOut, planeOut);
                            for (int p = 0; p < oh; p++)
                                for (int q = 0; q < ow; q++) typ[p * ow + q] = txp[ArgMax(xp, G, p, q)];
                            break;
                        }
                }
            }
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

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
            int planeIn = G.Height * G.Width, planeOut = G.Locations;
            int[] args = ArgBuffer(planeOut);
            bool pairs = typeof(T) == typeof(float) && PairWindows.Applies(G);
            for (int plane = start; plane < end; plane++)
            {
                T* xp = X + (long)plane * planeIn;
                if (pairs) PairWindows.ArgMaxes((float*)xp, G.Width, G.OutHeight, G.OutWidth, args);
                else ArgMaxes(xp, G, args);
                switch (Route)
                {
                    case PoolRoute.Forward:
                        {
                            T* yp = Output + (long)plane * planeOut;
                            for (int o = 0; o < planeOut; o++) yp[o] = xp[args[o]];
                            break;
                        }
                    case PoolRoute.Scatter:
                        {
                            T* dyp = Source + (long)plane * planeOut;
                            T* dxp = Output + (long)plane * planeIn;
                            if (!Accumulate) new Span<T>(dxp, planeIn).Clear();
                            for (int o = 0; o < planeOut; o++) dxp[args[o]] += dyp[o];
                            break;
                        }
                    case PoolRoute.Gather:
                        {
                            T* txp = Source + (long)plane * planeIn;
                            T* typ = Output + (long)plane * planeOut;
                            for (int o = 0; o < planeOut; o++) typ[o] = txp[args[o]];
                            break;
                        }
                }
            }
        }
    }

    [ThreadStatic] private static int[]? t_argBuffer;

    /// <summary>A per-thread buffer for one plane's arg maxes (grown once, then reused: no allocation per call).</summary>
    private static int[] ArgBuffer(int length)
    {
        var b = t_argBuffer;
        if (b is null || b.Length < length) t_argBuffer = b = new int[Math.Max(length, 64)];
        return b;
    }

    /// <summary>
    /// The flat in-plane index of every window's arg max (first maximal element in row-major window order), row by
    /// row of windows. Windows that lie wholly inside the image take a branch-free path (the comparison becomes a
    /// 0/1 integer that moves the index arithmetically: on real activations "is this element larger" is a coin flip,
    /// and the mispredicted branches of the plain loop cost ~15 ns per 2 x 2 window, against ~3 ns now); windows
    /// clipped by padding take the general <see cref="ArgMax{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ArgMaxes<T>(T* plane, in WindowGeometry g, int[] args) where T : unmanaged, INumber<T>
    {
        int w = g.Width, kh = g.KernelH, kw = g.KernelW, oh = g.OutHeight, ow = g.OutWidth;
        var span = new ReadOnlySpan<T>(plane, g.Height * w);
        for (int p = 0; p < oh; p++)
        {
            int top = p * g.StrideH - g.PadH;
            bool rowsInside = top >= 0 && top + kh <= g.Height;
            for (int q = 0; q < ow; q++)
            {
                int left = q * g.StrideW - g.PadW;
                int o = p * ow + q;
                if (!rowsInside || left < 0 || left + kw > w)
                {
                    args[o] = ArgMax(span, g, p, q);
                    continue;
                }
                int corner = top * w + left;
                T* win = plane + corner;
                if (kh == 2 && kw == 2)
                {
                    args[o] = corner + PairWindows.FirstMaximum(win, w);
                    continue;
                }
                int at = 0;
                for (int i = 0; i < kh; i++)
                {
                    int rowStart = i * w;
                    for (int j = 0; j < kw; j++)
                        at += (win[rowStart + j] > win[at] ? 1 : 0) * (rowStart + j - at);
                }
                args[o] = corner + at;
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

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Kfac.Tensors;

namespace Kfac.Cpu;

/// <summary>
/// The arg maxes of 2 x 2 max-pooling windows at stride 2 without padding (every conv net's pooling), eight windows
/// at a time: the four elements of eight windows are gathered (AVX2) from their top-left corners c, c + 1, c + W and
/// c + W + 1, and the running maximum and its index are updated with strict greater-than compares and blends, in the
/// same order as the scalar loop (a, b, c, d), so ties and NaNs give the same first maximal element. The windows of a
/// plane are taken in output order, across output rows (the pooled rows are only 7 or 14 wide in the ConvNet, too
/// short to vectorise along a row); the few left over take the scalar rule.
/// </summary>
internal static class PairWindows
{
    /// <summary>2 x 2 windows, stride 2, no padding, an output that covers whole windows only, and AVX2 gathers.</summary>
    public static bool Applies(in WindowGeometry g) =>
        Avx2.IsSupported && g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0;

    [ThreadStatic] private static int[]? t_corners;
    [ThreadStatic] private static (int W, int OutW, int Locations) t_cornersFor;

    /// <summary>The in-plane index of every window's top-left element, 2 (o / Wout) W + 2 (o % Wout), for o below
    /// g.Locations, in a per-thread buffer (grown, never shrunk) refilled only when the geometry changes: a conv net's
    /// pooling layers alternate geometries every call, and a fresh table each time would allocate on every step.</summary>
    public static int[] Corners(in WindowGeometry g)
    {
        var key = (g.Width, g.OutWidth, g.Locations);
        var corners = t_corners;
        if (corners is not null && t_cornersFor == key) return corners;
        if (corners is null || corners.Length < g.Locations) t_corners = corners = new int[Math.Max(g.Locations, 64)];
        for (int o = 0; o < g.Locations; o++) corners[o] = 2 * (o / g.OutWidth) * g.Width + 2 * (o % g.OutWidth);
        t_cornersFor = key;
        return corners;
    }

    /// <summary>args[o] = the flat index of the first maximal element of window o &lt; n of the plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ArgMaxes(float* plane, int w, int[] corners, int n, int[] args)
    {
        int o = 0;
        var one = Vector256.Create(1);
        var down = Vector256.Create(w);
        fixed (int* c = corners, a = args)
        {
            for (; o <= n - 8; o += 8)
            {
                var at = Avx.LoadVector256(c + o);
                var best = Avx2.GatherVector256(plane, at, 4);
                var arg = at;
                var right = at + one;
                var value = Avx2.GatherVector256(plane, right, 4);
                var greater = Avx.CompareGreaterThan(value, best);
                best = Avx.BlendVariable(best, value, greater);
                arg = Avx.BlendVariable(arg.AsSingle(), right.AsSingle(), greater).AsInt32();
                var below = at + down;
                value = Avx2.GatherVector256(plane, below, 4);
                greater = Avx.CompareGreaterThan(value, best);
                best = Avx.BlendVariable(best, value, greater);
                arg = Avx.BlendVariable(arg.AsSingle(), below.AsSingle(), greater).AsInt32();
                var diagonal = below + one;
                value = Avx2.GatherVector256(plane, diagonal, 4);
                greater = Avx.CompareGreaterThan(value, best);
                arg = Avx.BlendVariable(arg.AsSingle(), diagonal.AsSingle(), greater).AsInt32();
                Avx.Store(a + o, arg);
            }
            for (; o < n; o++) a[o] = c[o] + FirstMaximum(plane + c[o], w);
        }
    }

    /// <summary>The offset (0, 1, W or W + 1) of the first maximal element of the 2 x 2 window (a b / c d) at
    /// <paramref name="win"/>. The compare results become 0/1 integers that move the index arithmetically and the
    /// running max is re-read through it: no jumps (on real activations "is this element larger" is a coin flip).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe int FirstMaximum<T>(T* win, int w) where T : unmanaged, INumber<T>
    {
        int arg = win[1] > win[0] ? 1 : 0;
        arg += (win[w] > win[arg] ? 1 : 0) * (w - arg);
        arg += (win[w + 1] > win[arg] ? 1 : 0) * (w + 1 - arg);
        return arg;
    }
}

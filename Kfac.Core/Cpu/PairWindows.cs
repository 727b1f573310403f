using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Kfac.Tensors;

namespace Kfac.Cpu;

/// <summary>
/// The arg maxes of 2 x 2 max-pooling windows at stride 2 without padding (every conv net's pooling), along each pair
/// of input rows: 16 consecutive elements of the top row hold the (a, b) pairs of 8 windows and the same 16 of the row
/// below their (c, d); even and odd lanes are split with shuffles (no gathers, which cost about 8 cycles a window on
/// Zen 3), and the running maximum and its index are updated with strict greater-than compares and blends in the order
/// a, b, c, d of the scalar rule, so ties and NaNs give the same first maximal element. A row of 8 or more windows takes
/// 256-bit vectors (the last one overlapping the one before: recomputed windows get the same index), 4 to 7 windows
/// (the ConvNet's second pooling, 7 wide) 128-bit loads and shuffles, fewer the scalar rule.
/// </summary>
internal static class PairWindows
{
    /// <summary>2 x 2 windows, stride 2, no padding, an output that covers whole windows only, and AVX2.</summary>
    public static bool Applies(in WindowGeometry g) =>
        Avx2.IsSupported && g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0;

    /// <summary>args[r outW + j] = the in-plane index of the first maximal element of window (r, j) of a plane with
    /// rows of <paramref name="w"/> elements (at least 2 outW).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ArgMaxes(float* plane, int w, int outH, int outW, int[] args)
    {
        fixed (int* a = args)
        {
            for (int r = 0; r < outH; r++)
            {
                int rowStart = 2 * r * w;
                int* outRow = a + r * outW;
                if (outW >= 8)
                {
                    for (int j = 0; ; j += 8)
                    {
                        int j0 = Math.Min(j, outW - 8);
                        Eight(plane, rowStart + 2 * j0, w, outRow + j0);
                        if (j0 == outW - 8) break;
                    }
                }
                else if (outW >= 4)
                {
                    Four(plane, rowStart, w, outRow);
                    Four(plane, rowStart + 2 * (outW - 4), w, outRow + outW - 4);
                }
                else
                    for (int j = 0; j < outW; j++) outRow[j] = rowStart + 2 * j + FirstMaximum(plane + rowStart + 2 * j, w);
            }
        }
    }

    /// <summary>The 8 windows whose top-left elements are corner, corner + 2, ..., corner + 14.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Eight(float* plane, int corner, int w, int* dst)
    {
        float* top = plane + corner, bottom = top + w;
        var (a, b) = Split(Avx.LoadVector256(top), Avx.LoadVector256(top + 8));
        var (c, d) = Split(Avx.LoadVector256(bottom), Avx.LoadVector256(bottom + 8));
        Avx.Store(dst, FirstMaxima(a, b, c, d, Vector256.Create(corner) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14), w));
    }

    /// <summary>The 4 windows whose top-left elements are corner, ..., corner + 6 (the 8-lane rule on doubled vectors,
    /// the upper half discarded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Four(float* plane, int corner, int w, int* dst)
    {
        float* top = plane + corner, bottom = top + w;
        Vector128<float> t0 = Sse.LoadVector128(top), t1 = Sse.LoadVector128(top + 4);
        Vector128<float> b0 = Sse.LoadVector128(bottom), b1 = Sse.LoadVector128(bottom + 4);
        static Vector256<float> Twice(Vector128<float> v) => Vector256.Create(v, v);
        var a = Twice(Sse.Shuffle(t0, t1, 0b10_00_10_00));
        var b = Twice(Sse.Shuffle(t0, t1, 0b11_01_11_01));
        var c = Twice(Sse.Shuffle(b0, b1, 0b10_00_10_00));
        var d = Twice(Sse.Shuffle(b0, b1, 0b11_01_11_01));
        var at = Vector128.Create(corner) + Vector128.Create(0, 2, 4, 6);
        Sse2.Store(dst, FirstMaxima(a, b, c, d, Vector256.Create(at, at), w).GetLower());
    }

    /// <summary>Per lane, the index of the first maximal element of the window (a b / c d) whose top-left element is at
    /// <paramref name="at"/>: strict greater-than compares in the order a, b, c, d (a NaN never replaces, a NaN in a
    /// stays), as <see cref="FirstMaximum{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> FirstMaxima(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d, Vector256<int> at, int w)
    {
        var best = a;
        var arg = at.AsSingle();
        var greater = Avx.CompareGreaterThan(b, best);
        best = Avx.BlendVariable(best, b, greater);
        arg = Avx.BlendVariable(arg, (at + Vector256<int>.One).AsSingle(), greater);
        greater = Avx.CompareGreaterThan(c, best);
        best = Avx.BlendVariable(best, c, greater);
        arg = Avx.BlendVariable(arg, (at + Vector256.Create(w)).AsSingle(), greater);
        greater = Avx.CompareGreaterThan(d, best);
        return Avx.BlendVariable(arg, (at + Vector256.Create(w + 1)).AsSingle(), greater).AsInt32();
    }

    /// <summary>The even and the odd elements of the 16 in (lo, hi), each in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) Split(Vector256<float> lo, Vector256<float> hi)
    {
        // Within each 128-bit lane: [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6]; then the 64-bit quarters reordered 0, 2, 1, 3.
        var even = Avx.Shuffle(lo, hi, 0b10_00_10_00);
        var odd = Avx.Shuffle(lo, hi, 0b11_01_11_01);
        return (Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle(), Avx2.Permute4x64(odd.AsDouble(), 0b11_01_10_00).AsSingle());
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

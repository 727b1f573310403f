using System.Numerics;
using System.Runtime.Intrinsics;

namespace Kfac.Cpu;

/// <summary>
/// One-pass derivative products for the activations that dominate a backward pass (TensorPrimitives would need
/// three passes and a temporary): sigmoid dx (+)= dy y (1 - y) and tanh dx (+)= dy (1 - y^2), on 512-bit vectors
/// where the runtime accelerates them and on 256-bit ones (AVX2) otherwise.
/// </summary>
internal static class FusedDerivatives
{
    public static void Sigmoid<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            int w = Vector512<T>.Count;
            for (; i <= y.Length - w; i += w)
            {
                var vy = Vector512.Create(y.Slice(i, w));
                var r = Vector512.Create(dy.Slice(i, w)) * vy * (Vector512<T>.One - vy);
                if (accumulate) r += Vector512.Create((ReadOnlySpan<T>)dx.Slice(i, w));
                r.CopyTo(dx[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            // The AVX2 path (Zen 2/3, Intel without AVX-512): the same pass on 256-bit vectors.
            int w = Vector256<T>.Count;
            for (; i <= y.Length - w; i += w)
            {
                var vy = Vector256.Create(y.Slice(i, w));
                var r = Vector256.Create(dy.Slice(i, w)) * vy * (Vector256<T>.One - vy);
                if (accumulate) r += Vector256.Create((ReadOnlySpan<T>)dx.Slice(i, w));
                r.CopyTo(dx[i..]);
            }
        }
        for (; i < y.Length; i++)
        {
            T r = dy[i] * y[i] * (T.One - y[i]);
            dx[i] = accumulate ? dx[i] + r : r;
        }
    }

    public static void Tanh<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            int w = Vector512<T>.Count;
            for (; i <= y.Length - w; i += w)
            {
                var vy = Vector512.Create(y.Slice(i, w));
                var r = Vector512.Create(dy.Slice(i, w)) * (Vector512<T>.One - vy * vy);
                if (accumulate) r += Vector512.Create((ReadOnlySpan<T>)dx.Slice(i, w));
                r.CopyTo(dx[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            int w = Vector256<T>.Count;
            for (; i <= y.Length - w; i += w)
            {
                var vy = Vector256.Create(y.Slice(i, w));
                var r = Vector256.Create(dy.Slice(i, w)) * (Vector256<T>.One - vy * vy);
                if (accumulate) r += Vector256.Create((ReadOnlySpan<T>)dx.Slice(i, w));
                r.CopyTo(dx[i..]);
            }
        }
        for (; i < y.Length; i++)
        {
            T r = dy[i] * (T.One - y[i] * y[i]);
            dx[i] = accumulate ? dx[i] + r : r;
        }
    }
}

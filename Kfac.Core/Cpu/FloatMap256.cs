using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kfac.Cpu;

/// <summary>A function of one 256-bit float vector, applied lane by lane (<see cref="FloatMap256.Apply{TF}"/>).</summary>
internal interface IFloatFunction256
{
    static abstract Vector256<float> Apply(Vector256<float> x);
}

/// <summary>
/// y = f(x) elementwise over spans with a vector function f (the AVX2 path's float activations): whole vectors in the
/// loop, the last &lt; 8 elements through one zero-padded vector, so every element takes the same arithmetic. The
/// struct type argument makes the JIT emit one loop per function with f inlined.
/// </summary>
internal static class FloatMap256
{
    /// <summary>y = f(x); x and y may alias.</summary>
    public static void Apply<TF>(ReadOnlySpan<float> x, Span<float> y) where TF : struct, IFloatFunction256
    {
        if (y.Length < x.Length) throw new ArgumentException($"y holds {y.Length} elements, x {x.Length}", nameof(y));
        int i = 0, w = Vector256<float>.Count;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        for (; i <= x.Length - w; i += w)
            TF.Apply(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        if (i < x.Length) Tail<TF>(x[i..], y[i..]);
    }

    /// <summary>The padded last vector (kept out of the loop's frame, which then holds no stack buffer).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail<TF>(ReadOnlySpan<float> x, Span<float> y) where TF : struct, IFloatFunction256
    {
        Span<float> tail = stackalloc float[8];
        tail.Clear();
        x.CopyTo(tail);
        TF.Apply(Vector256.Create((ReadOnlySpan<float>)tail)).CopyTo(tail);
        tail[..x.Length].CopyTo(y);
    }
}

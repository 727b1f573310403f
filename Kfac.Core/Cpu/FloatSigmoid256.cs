using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Kfac.Cpu;

/// <summary>
/// Single-precision exp and sigmoid on 256-bit vectors, in float throughout: the AVX2 path's activations. The
/// runtime's vector exp for float widens every vector to two of doubles (twice the work on a 256-bit machine), and a
/// training step of the deep autoencoder applies sigmoid to 4.3 M activations.
/// exp (Cephes' expf, S. L. Moshier): x = n ln 2 + r with n = round(x log2 e) and r reduced in two parts (Cody and
/// Waite), |r| &lt;= ln(2)/2; e^r = 1 + r + r^2 P(r) with P of degree 5 (relative error about 1 ulp); 2^n is built in
/// the exponent bits. sigmoid(x) from e = exp(-|x|) in (0, 1], which never overflows: 1 / (1 + e) for x &gt;= 0 and
/// e / (1 + e) for x &lt; 0 (no cancellation on either side), relative error a few ulp everywhere; arguments below
/// -88.37 give exp = 0 (the exact values are subnormal).
/// </summary>
internal static class FloatSigmoid256
{
    /// <summary>Whether this path is the one to take: 256-bit vectors accelerated and 512-bit ones not (on AVX-512
    /// machines the runtime's 512-bit kernels are kept).</summary>
    public static bool Preferred => Vector256.IsHardwareAccelerated && !Vector512.IsHardwareAccelerated;

    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f, MinArgument = -88.3762626647949f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>e^x for x &lt;= 0 (the only arguments the sigmoid needs): no overflow branch; below -88.37 the result is 0.
    /// Multiply-adds fuse where the machine has FMA (MultiplyAddEstimate); the exponent's float-to-int conversion is the
    /// native one (n is integral and in [-127, 0], so no saturation is needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpNonPositive(Vector256<float> x)
    {
        x = Vector256.Max(x, Vector256.Create(MinArgument));
        var n = Vector256.Round(x * Vector256.Create(Log2E));
        var r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.MultiplyAddEstimate(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P2));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P3));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P4));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P5));
        var er = Vector256.MultiplyAddEstimate(p, r * r, r) + Vector256<float>.One;
        // 2^n for n in [-127, 0]: the biased exponent n + 127 in bits 23-30 (n = -127 gives +0).
        var twoN = Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();
        return er * twoN;
    }

    /// <summary>y = 1 / (1 + e^-x) elementwise; x and y may alias.</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => FloatMap256.Apply<SigmoidFunction>(x, y);

    private struct SigmoidFunction : IFloatFunction256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(Vector256<float> x) => Sigmoid(x);
    }

    /// <summary>sigmoid of one vector: e = exp(-|x|); 1 / (1 + e) where x &gt;= 0, e / (1 + e) where x &lt; 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        var e = ExpNonPositive(-Vector256.Abs(x));
        var inverse = Vector256<float>.One / (Vector256<float>.One + e);
        var s = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), e * inverse, inverse);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), s, x); // NaN stays NaN
    }
}

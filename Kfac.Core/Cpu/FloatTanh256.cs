using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Kfac.Cpu;

/// <summary>
/// Single-precision tanh on 256-bit vectors, in float throughout: the AVX2 path's tanh (the activation of the RL
/// policies and of any tanh MLP). The runtime's float tanh widens every vector to two of doubles for its exp, and
/// cancels near zero (<see cref="SmallArgumentSeries"/> then patches |x| &lt; 2^-6 in a second pass); this is one pass.
/// Cephes' tanhf (S. L. Moshier), branch-free over a vector:
///   |x| &gt;= 0.625:  tanh |x| = (1 - e) / (1 + e),  e = exp(-2|x|) in (0, 0.287]   (no cancellation: 1 - e &gt;= 0.71;
///                  exp of a non-positive argument never overflows; |x| &gt; 44 gives e = 0, tanh = 1), sign of x restored;
///   |x| &lt; 0.625:   tanh x = x + x s P(s),  s = x^2, P of degree 4 (minimax, relative error about 1 ulp; exact
///                  to rounding as x -&gt; 0, so -0 stays -0 and tiny arguments return themselves).
/// </summary>
internal static class FloatTanh256
{
    private const float Split = 0.625f;
    private const float P0 = -5.70498872745e-3f, P1 = 2.06390887954e-2f, P2 = -5.37397155531e-2f, P3 = 1.33314422036e-1f, P4 = -3.33332819422e-1f;

    /// <summary>Whether this path is the one to take (the same rule as <see cref="FloatSigmoid256.Preferred"/>).</summary>
    public static bool Preferred => FloatSigmoid256.Preferred;

    /// <summary>y = tanh(x) elementwise; x and y may alias.</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => FloatMap256.Apply<TanhFunction>(x, y);

    private struct TanhFunction : IFloatFunction256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(Vector256<float> x) => Tanh(x);
    }

    /// <summary>tanh of one vector (both branches computed, the right one selected per lane; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        // |tanh x| from |x| on both branches, then x's sign bit (tanh is odd; this also keeps tanh(-0) = -0).
        var ax = Vector256.Abs(x);
        var e = FloatSigmoid256.ExpNonPositive(ax * Vector256.Create(-2f));
        var large = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        var s = x * x;
        var p = Vector256.MultiplyAddEstimate(Vector256.Create(P0), s, Vector256.Create(P1));
        p = Vector256.MultiplyAddEstimate(p, s, Vector256.Create(P2));
        p = Vector256.MultiplyAddEstimate(p, s, Vector256.Create(P3));
        p = Vector256.MultiplyAddEstimate(p, s, Vector256.Create(P4));
        var small = Vector256.MultiplyAddEstimate(ax * s, p, ax);
        var magnitude = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(ax, Vector256.Create(Split)), large, small);
        var t = magnitude | (x & Vector256.Create(-0f));
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), t, x);
    }
}

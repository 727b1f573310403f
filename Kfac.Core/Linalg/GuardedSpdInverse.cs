using System.Buffers;
using System.Numerics;

namespace Kfac.Linalg;

/// <summary>
/// The inverse of a K-FAC Kronecker factor (Abar or G, Martens &amp; Grosse 2015 section 3), with the guards a
/// long training run needs:
/// 1. finiteness: any NaN/Inf in A throws <see cref="NonFiniteMatrixException"/> naming the entry (both
///    triangles are checked, since both are read);
/// 2. symmetrisation: the factor is accumulated in float and may be asymmetric by rounding, so (A + A^T)/2
///    is inverted;
/// 3. damping: (A + d I)^-1 for d &gt;= 0 (factored Tikhonov damping, section 6.3);
/// 4. precision fallback: a float input is first factored in float32; if that Cholesky finds a non-positive
///    pivot (rounding in float32 can make an SPD matrix with cond ~ 1e7 look indefinite) or the float32
///    inverse overflows, everything is redone in float64 from the original input and rounded to float;
/// 5. only if float64 also fails, <see cref="NotPositiveDefiniteException"/> (callers add damping and retry).
/// The result is exactly symmetric. The inverse may be written into the same span as the input.
/// </summary>
public static class GuardedSpdInverse
{
    /// <summary>Writes (sym(A) + damping I)^-1 of the n x n float matrix <paramref name="a"/> into <paramref name="inverse"/>, falling back to float64 when float32 fails (steps 1-5 above).</summary>
    /// <returns>The precision used and whether the fallback ran.</returns>
    public static SpdInverseInfo Invert(ReadOnlySpan<float> a, int n, Span<float> inverse, double damping = 0, int maxThreads = 0)
    {
        Validate(a.Length, inverse.Length, n, damping);
        MatrixChecks.Finite(a, n, n, n, nameof(a));
        NotPositiveDefiniteException? singleFailure = null;
        bool aliased = inverse.Overlaps(a);
        float[] work = ArrayPool<float>.Shared.Rent((aliased ? 2 : 1) * n * n);
        try
        {
            // The float64 retry needs a: when inverse aliases a, build the float32 inverse in scratch and copy it;
            // otherwise write it in place (a failed attempt is overwritten by the retry).
            var l = work.AsSpan(0, n * n);
            var result = aliased ? work.AsSpan(n * n, n * n) : inverse[..(n * n)];
            SymmetrizedDamped(a, n, damping, l);
            try
            {
                Cholesky.Factor<float>(l, n, n, maxThreads);
                Spd.InverseFromFactor<float>(l, n, result, maxThreads);
                if (AllFinite(result))
                {
                    if (aliased) result.CopyTo(inverse);
                    return new SpdInverseInfo(FactorPrecision.Single, false, damping);
                }
            }
            catch (NotPositiveDefiniteException e)
            {
                singleFailure = e;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(work);
        }

        string why = singleFailure is null ? "after the float32 inverse overflowed" : $"after float32 failed at pivot {singleFailure.PivotIndex}";
        double[] wide = ArrayPool<double>.Shared.Rent(2 * n * n);
        try
        {
            var l = wide.AsSpan(0, n * n);
            var result = wide.AsSpan(n * n, n * n);
            SymmetrizedDamped(a, n, damping, l);
            try
            {
                Cholesky.Factor<double>(l, n, n, maxThreads);
            }
            catch (NotPositiveDefiniteException e)
            {
                throw new NotPositiveDefiniteException(e.MatrixSize, e.PivotIndex, e.PivotValue, "float64 Cholesky " + why, e);
            }
            Spd.InverseFromFactor<double>(l, n, result, maxThreads);
            for (int i = 0; i < result.Length; i++)
            {
                float v = (float)result[i];
                if (!float.IsFinite(v))
                {
                    // l now holds L^-1, whose diagonal is 1 / l_ii: report the smallest pivot l_ii^2 as the cause.
                    int p = 0;
                    for (int k = 1; k < n; k++) if (l[k * n + k] > l[p * n + p]) p = k;
                    double pivot = 1.0 / (l[p * n + p] * l[p * n + p]);
                    throw new NotPositiveDefiniteException(n, p, pivot, FormattableString.Invariant(
                        $"entry ({i / n},{i % n}) of the float64 inverse, {result[i]:R}, exceeds the float32 range; float64 retry {why}"));
                }
                inverse[i] = v;
            }
            return new SpdInverseInfo(FactorPrecision.Double, true, damping);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(wide);
        }
    }

    /// <summary>Writes (sym(A) + damping I)^-1 of the n x n double matrix <paramref name="a"/> into <paramref name="inverse"/> (steps 1, 2, 3 and 5 above; there is no wider fallback).</summary>
    /// <returns>The precision used (always double) and the damping added.</returns>
    public static SpdInverseInfo Invert(ReadOnlySpan<double> a, int n, Span<double> inverse, double damping = 0, int maxThreads = 0)
    {
        Validate(a.Length, inverse.Length, n, damping);
        MatrixChecks.Finite(a, n, n, n, nameof(a));
        double[] work = ArrayPool<double>.Shared.Rent(n * n);
        try
        {
            var w = work.AsSpan(0, n * n);
            SymmetrizedDamped(a, n, damping, w);
            Cholesky.Factor<double>(w, n, n, maxThreads);
            Spd.InverseFromFactor<double>(w, n, inverse, maxThreads);
            return new SpdInverseInfo(FactorPrecision.Double, false, damping);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(work);
        }
    }

    private static void Validate(int aLength, int inverseLength, int n, double damping)
    {
        MatrixChecks.Square(aLength, n, "a");
        MatrixChecks.Square(inverseLength, n, "inverse");
        if (!(damping >= 0) || double.IsInfinity(damping))
            throw new ArgumentOutOfRangeException(nameof(damping), damping, "damping must be finite and >= 0.");
    }

    /// <summary>w = (A + A^T)/2 + d I, computed in the destination precision.</summary>
    internal static void SymmetrizedDamped<TIn, TOut>(ReadOnlySpan<TIn> a, int n, double d, Span<TOut> w)
        where TIn : unmanaged, IFloatingPointIeee754<TIn>
        where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        TOut half = TOut.CreateTruncating(0.5), damping = TOut.CreateTruncating(d);
        // In Tile x Tile blocks of the lower triangle, so the transposed reads and writes stay in cache.
        for (int bi = 0; bi < n; bi += Spd.Tile)
        {
            int iEnd = Math.Min(bi + Spd.Tile, n);
            for (int bj = 0; bj <= bi; bj += Spd.Tile)
                for (int i = bi; i < iEnd; i++)
                {
                    int jEnd = Math.Min(bj + Spd.Tile, i);
                    for (int j = bj; j < jEnd; j++)
                        w[i * n + j] = w[j * n + i] = half * (TOut.CreateTruncating(a[i * n + j]) + TOut.CreateTruncating(a[j * n + i]));
                }
        }
        for (int i = 0; i < n; i++) w[i * n + i] = TOut.CreateTruncating(a[i * n + i]) + damping;
    }

    /// <summary>(TensorPrimitives answers false for an empty span.)</summary>
    private static bool AllFinite(ReadOnlySpan<float> x) => x.IsEmpty || System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(x);
}

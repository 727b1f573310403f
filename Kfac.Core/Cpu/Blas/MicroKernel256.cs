using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kfac.Cpu.Blas;

/// <summary>
/// AVX2 micro-kernel: a 6 x (2 * Vector256&lt;T&gt;.Count) tile (6 x 16 floats, 6 x 8 doubles) in 12 ymm accumulators
/// + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers an AVX2-only CPU has (the classic Haswell shape).
/// Used when Vector512 is not accelerated; tests force it on AVX-512 machines too.
/// </summary>
internal unsafe struct MicroKernel256<T> : IMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 6;
    public static int NR => 2 * Vector256<T>.Count;
    public static bool IsSupported => GemmKernels.Vector256Supported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int mr, int nr, int kc, in KernelOperands<T> x, T* c, int ldc, T alpha, T beta)
    {
        if (x.ARow == 0) Tile<A0>(mr, nr, kc, x, c, ldc, alpha, beta);
        else Tile<A1>(mr, nr, kc, x, c, ldc, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TA>(int mr, int nr, int kc, in KernelOperands<T> x, T* c, int ldc, T alpha, T beta) where TA : struct, IConst
    {
        int w = Vector256<T>.Count;
        if (nr == 2 * w) Dispatch<V2, M0, TA>(mr, kc, x, c, ldc, alpha, beta, w);
        else if (nr == w) Dispatch<V1, M0, TA>(mr, kc, x, c, ldc, alpha, beta, w);
        else if (nr > w) Dispatch<V2, M1, TA>(mr, kc, x, c, ldc, alpha, beta, nr - w);
        else Dispatch<V1, M1, TA>(mr, kc, x, c, ldc, alpha, beta, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dispatch<TV, TM, TA>(int mr, int kc, in KernelOperands<T> x, T* c, int ldc, T alpha, T beta, int tail)
        where TV : struct, IConst where TM : struct, IConst where TA : struct, IConst
    {
        switch (mr)
        {
            case 6: Core<R6, TV, TM, TA>(kc, x.A, x.AStep, x.ARow, x.B, x.BStep, c, ldc, alpha, beta, tail); break;
            case 5: Core<R5, TV, TM, TA>(kc, x.A, x.AStep, x.ARow, x.B, x.BStep, c, ldc, alpha, beta, tail); break;
            case 4: Core<R4, TV, TM, TA>(kc, x.A, x.AStep, x.ARow, x.B, x.BStep, c, ldc, alpha, beta, tail); break;
            case 3: Core<R3, TV, TM, TA>(kc, x.A, x.AStep, x.ARow, x.B, x.BStep, c, ldc, alpha, beta, tail); break;
            case 2: Core<R2, TV, TM, TA>(kc, x.A, x.AStep, x.ARow, x.B, x.BStep, c, ldc, alpha, beta, tail); break;
            case 1: Core<R1, TV, TM, TA>(kc, x.A, x.AStep, x.ARow, x.B, x.BStep, c, ldc, alpha, beta, tail); break;
            default: throw new ArgumentOutOfRangeException(nameof(mr));
        }
    }

    /// <summary>The register-blocked kernel: TR rows (1..MR) x TV vectors (1 or 2) of accumulators stay in
    /// registers for the whole kc loop; each step loads TV vectors of the packed B row, broadcasts TR values
    /// of the packed A column and issues TR*TV FMAs. TM = 1: only the first <paramref name="tail"/> lanes of
    /// the last vector are stored (masked loads/stores for a ragged right edge of C). The generic struct
    /// constants make the JIT emit one specialised body per (TR, TV, TM, TA) with the unused rows removed.
    /// TA = 0: A element (r, p) at a[p * aStep + r] (a packed micro-panel, aStep = MR, or A^T read in place, aStep = lda).
    /// TA = 1: A read in place row by row, element (r, p) at a[r * aRow + p]; three rows share one base pointer
    /// (offsets 0, aRow, 2 aRow) so the MR row streams need only MR / 3 general registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Core<TR, TV, TM, TA>(int kc, T* a, nint aStep, nint aRow, T* b, nint bStep, T* c, int ldc, T alpha, T beta, int tail)
        where TR : struct, IConst where TV : struct, IConst where TM : struct, IConst where TA : struct, IConst
    {
        int w = Vector256<T>.Count;
        Vector256<T> c0a = default, c0b = default,
            c1a = default, c1b = default,
            c2a = default, c2b = default,
            c3a = default, c3b = default,
            c4a = default, c4b = default,
            c5a = default, c5b = default;
        // Start pulling the C tile into L1 now; it is needed only after the kc loop (Goto and van de Geijn 2008, sec. 6).
        if (Sse.IsSupported)
        {
            { Sse.Prefetch0(c + 0 * ldc); Sse.Prefetch0(c + 0 * ldc + TV.Value * w - 1); }
            if (TR.Value > 1) { Sse.Prefetch0(c + 1 * ldc); Sse.Prefetch0(c + 1 * ldc + TV.Value * w - 1); }
            if (TR.Value > 2) { Sse.Prefetch0(c + 2 * ldc); Sse.Prefetch0(c + 2 * ldc + TV.Value * w - 1); }
            if (TR.Value > 3) { Sse.Prefetch0(c + 3 * ldc); Sse.Prefetch0(c + 3 * ldc + TV.Value * w - 1); }
            if (TR.Value > 4) { Sse.Prefetch0(c + 4 * ldc); Sse.Prefetch0(c + 4 * ldc + TV.Value * w - 1); }
            if (TR.Value > 5) { Sse.Prefetch0(c + 5 * ldc); Sse.Prefetch0(c + 5 * ldc + TV.Value * w - 1); }
        }
        nint row2 = 2 * aRow;
        T* a0 = a + 0 * aRow, a1 = a + 3 * aRow;
        // Two k steps per iteration: 24 FMAs against 4 instructions of loop control instead of 12 (a 4-wide decoder,
        // Zen 2/3, issues the 24-instruction body at just under its width otherwise); a count-down loop tested at
        // the bottom (one decrement and one taken branch per iteration).
        for (int pairs = kc >> 1; pairs != 0; pairs--)
        {
            var b0 = Vector256.Load(b);
            var b1 = TV.Value > 1 ? Vector256.Load(b + w) : default;
            nint s = TA.Value == 0 ? aStep : 1;
            Vector256<T> t;
            { t = Vector256.Create(TA.Value == 0 ? a[0] : a0[0]); c0a = Fma(t, b0, c0a); if (TV.Value > 1) c0b = Fma(t, b1, c0b); }
            if (TR.Value > 1) { t = Vector256.Create(TA.Value == 0 ? a[1] : a0[aRow]); c1a = Fma(t, b0, c1a); if (TV.Value > 1) c1b = Fma(t, b1, c1b); }
            if (TR.Value > 2) { t = Vector256.Create(TA.Value == 0 ? a[2] : a0[row2]); c2a = Fma(t, b0, c2a); if (TV.Value > 1) c2b = Fma(t, b1, c2b); }
            if (TR.Value > 3) { t = Vector256.Create(TA.Value == 0 ? a[3] : a1[0]); c3a = Fma(t, b0, c3a); if (TV.Value > 1) c3b = Fma(t, b1, c3b); }
            if (TR.Value > 4) { t = Vector256.Create(TA.Value == 0 ? a[4] : a1[aRow]); c4a = Fma(t, b0, c4a); if (TV.Value > 1) c4b = Fma(t, b1, c4b); }
            if (TR.Value > 5) { t = Vector256.Create(TA.Value == 0 ? a[5] : a1[row2]); c5a = Fma(t, b0, c5a); if (TV.Value > 1) c5b = Fma(t, b1, c5b); }
            // The second step's B row into the same two registers (16 ymm: 12 accumulators, 2 B, 1 broadcast).
            b0 = Vector256.Load(b + bStep);
            if (TV.Value > 1) b1 = Vector256.Load(b + bStep + w);
            { t = Vector256.Create(TA.Value == 0 ? a[s] : a0[s]); c0a = Fma(t, b0, c0a); if (TV.Value > 1) c0b = Fma(t, b1, c0b); }
            if (TR.Value > 1) { t = Vector256.Create(TA.Value == 0 ? a[s + 1] : a0[aRow + s]); c1a = Fma(t, b0, c1a); if (TV.Value > 1) c1b = Fma(t, b1, c1b); }
            if (TR.Value > 2) { t = Vector256.Create(TA.Value == 0 ? a[s + 2] : a0[row2 + s]); c2a = Fma(t, b0, c2a); if (TV.Value > 1) c2b = Fma(t, b1, c2b); }
            if (TR.Value > 3) { t = Vector256.Create(TA.Value == 0 ? a[s + 3] : a1[s]); c3a = Fma(t, b0, c3a); if (TV.Value > 1) c3b = Fma(t, b1, c3b); }
            if (TR.Value > 4) { t = Vector256.Create(TA.Value == 0 ? a[s + 4] : a1[aRow + s]); c4a = Fma(t, b0, c4a); if (TV.Value > 1) c4b = Fma(t, b1, c4b); }
            if (TR.Value > 5) { t = Vector256.Create(TA.Value == 0 ? a[s + 5] : a1[row2 + s]); c5a = Fma(t, b0, c5a); if (TV.Value > 1) c5b = Fma(t, b1, c5b); }
            if (TA.Value == 0) a += 2 * aStep;
            else { a0 += 2; a1 += 2; }
            b += 2 * bStep;
        }
        for (int p = kc & ~1; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = TV.Value > 1 ? Vector256.Load(b + w) : default;
            Vector256<T> t;
            { t = Vector256.Create(TA.Value == 0 ? a[0] : a0[0]); c0a = Fma(t, b0, c0a); if (TV.Value > 1) c0b = Fma(t, b1, c0b); }
            if (TR.Value > 1) { t = Vector256.Create(TA.Value == 0 ? a[1] : a0[aRow]); c1a = Fma(t, b0, c1a); if (TV.Value > 1) c1b = Fma(t, b1, c1b); }
            if (TR.Value > 2) { t = Vector256.Create(TA.Value == 0 ? a[2] : a0[row2]); c2a = Fma(t, b0, c2a); if (TV.Value > 1) c2b = Fma(t, b1, c2b); }
            if (TR.Value > 3) { t = Vector256.Create(TA.Value == 0 ? a[3] : a1[0]); c3a = Fma(t, b0, c3a); if (TV.Value > 1) c3b = Fma(t, b1, c3b); }
            if (TR.Value > 4) { t = Vector256.Create(TA.Value == 0 ? a[4] : a1[aRow]); c4a = Fma(t, b0, c4a); if (TV.Value > 1) c4b = Fma(t, b1, c4b); }
            if (TR.Value > 5) { t = Vector256.Create(TA.Value == 0 ? a[5] : a1[row2]); c5a = Fma(t, b0, c5a); if (TV.Value > 1) c5b = Fma(t, b1, c5b); }
            if (TA.Value == 0) a += aStep;
            else { a0++; a1++; }
            b += bStep;
        }
        var va = Vector256.Create(alpha);
        var mask = TM.Value != 0 ? Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(tail))) : default;
        if (beta == T.Zero)
        {
            { T* q = c + 0 * ldc; if (TV.Value > 1) { (va * c0a).Store(q); Put<TM>(q + w, va * c0b, mask); } else Put<TM>(q, va * c0a, mask); }
            if (TR.Value > 1) { T* q = c + 1 * ldc; if (TV.Value > 1) { (va * c1a).Store(q); Put<TM>(q + w, va * c1b, mask); } else Put<TM>(q, va * c1a, mask); }
            if (TR.Value > 2) { T* q = c + 2 * ldc; if (TV.Value > 1) { (va * c2a).Store(q); Put<TM>(q + w, va * c2b, mask); } else Put<TM>(q, va * c2a, mask); }
            if (TR.Value > 3) { T* q = c + 3 * ldc; if (TV.Value > 1) { (va * c3a).Store(q); Put<TM>(q + w, va * c3b, mask); } else Put<TM>(q, va * c3a, mask); }
            if (TR.Value > 4) { T* q = c + 4 * ldc; if (TV.Value > 1) { (va * c4a).Store(q); Put<TM>(q + w, va * c4b, mask); } else Put<TM>(q, va * c4a, mask); }
            if (TR.Value > 5) { T* q = c + 5 * ldc; if (TV.Value > 1) { (va * c5a).Store(q); Put<TM>(q + w, va * c5b, mask); } else Put<TM>(q, va * c5a, mask); }
        }
        else
        {
            var vb = Vector256.Create(beta);
            { T* q = c + 0 * ldc; if (TV.Value > 1) { Fma(vb, Vector256.Load(q), va * c0a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c0b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c0a), mask); }
            if (TR.Value > 1) { T* q = c + 1 * ldc; if (TV.Value > 1) { Fma(vb, Vector256.Load(q), va * c1a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c1b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c1a), mask); }
            if (TR.Value > 2) { T* q = c + 2 * ldc; if (TV.Value > 1) { Fma(vb, Vector256.Load(q), va * c2a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c2b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c2a), mask); }
            if (TR.Value > 3) { T* q = c + 3 * ldc; if (TV.Value > 1) { Fma(vb, Vector256.Load(q), va * c3a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c3b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c3a), mask); }
            if (TR.Value > 4) { T* q = c + 4 * ldc; if (TV.Value > 1) { Fma(vb, Vector256.Load(q), va * c4a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c4b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c4a), mask); }
            if (TR.Value > 5) { T* q = c + 5 * ldc; if (TV.Value > 1) { Fma(vb, Vector256.Load(q), va * c5a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c5b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c5a), mask); }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma(Vector256<T> x, Vector256<T> y, Vector256<T> z)
    {
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        return x * y + z;
    }

    /// <summary>Loads a vector of C, only the lanes set in <paramref name="mask"/> when TM = 1 (others read as 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Get<TM>(T* p, Vector256<T> mask) where TM : struct, IConst
    {
        if (TM.Value == 0) return Vector256.Load(p);
        if (typeof(T) == typeof(float))
            return Avx.MaskLoad((float*)p, mask.AsSingle()).As<float, T>();
        return Avx.MaskLoad((double*)p, mask.AsDouble()).As<double, T>();
    }

    /// <summary>Stores a vector of C, only the lanes set in <paramref name="mask"/> when TM = 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TM>(T* p, Vector256<T> v, Vector256<T> mask) where TM : struct, IConst
    {
        if (TM.Value == 0) v.Store(p);
        else if (typeof(T) == typeof(float)) Avx.MaskStore((float*)p, mask.AsSingle(), v.AsSingle());
        else Avx.MaskStore((double*)p, mask.AsDouble(), v.AsDouble());
    }
}

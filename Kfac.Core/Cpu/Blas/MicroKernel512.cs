using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kfac.Cpu.Blas;

/// <summary>
/// AVX-512 micro-kernel: a 12 x (2 * Vector512&lt;T&gt;.Count) tile of C (12 x 32 floats, 12 x 16 doubles) held in
/// 24 zmm accumulators; with the two B vectors and one broadcast that is 27 of the 32 zmm registers. Per k step:
/// 2 vector loads + 12 broadcasts feed 24 FMAs, enough independent chains to keep both 512-bit FMA pipes of
/// Zen 4/5 busy (about 99% of the register-only FMA peak with the panels in L1). Ragged right edges use masked
/// stores (no scratch tile); ragged bottom edges use the row-count specialisations.
/// </summary>
internal unsafe struct MicroKernel512<T> : IMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 12;
    public static int NR => 2 * Vector512<T>.Count;
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int mr, int nr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        int w = Vector512<T>.Count;
        if (nr == 2 * w) Dispatch<V2, M0>(mr, kc, a, b, c, ldc, alpha, beta, w);
        else if (nr == w) Dispatch<V1, M0>(mr, kc, a, b, c, ldc, alpha, beta, w);
        else if (nr > w) Dispatch<V2, M1>(mr, kc, a, b, c, ldc, alpha, beta, nr - w);
        else Dispatch<V1, M1>(mr, kc, a, b, c, ldc, alpha, beta, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dispatch<TV, TM>(int mr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta, int tail)
        where TV : struct, IConst where TM : struct, IConst
    {
        switch (mr)
        {
            case 12: Core<R12, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 11: Core<R11, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 10: Core<R10, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 9: Core<R9, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 8: Core<R8, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 7: Core<R7, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 6: Core<R6, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 5: Core<R5, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 4: Core<R4, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 3: Core<R3, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 2: Core<R2, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            case 1: Core<R1, TV, TM>(kc, a, b, c, ldc, alpha, beta, tail); break;
            default: throw new ArgumentOutOfRangeException(nameof(mr));
        }
    }

    /// <summary>The register-blocked kernel: TR rows (1..MR) x TV vectors (1 or 2) of accumulators stay in
    /// registers for the whole kc loop; each step loads TV vectors of the packed B row, broadcasts TR values
    /// of the packed A column and issues TR*TV FMAs. TM = 1: only the first <paramref name="tail"/> lanes of
    /// the last vector are stored (masked loads/stores for a ragged right edge of C). The generic struct
    /// constants make the JIT emit one specialised body per (TR, TV, TM) with the unused rows removed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Core<TR, TV, TM>(int kc, T* a, T* b, T* c, int ldc, T alpha, T beta, int tail)
        where TR : struct, IConst where TV : struct, IConst where TM : struct, IConst
    {
        int w = Vector512<T>.Count;
        Vector512<T> c0a = default, c0b = default,
            c1a = default, c1b = default,
            c2a = default, c2b = default,
            c3a = default, c3b = default,
            c4a = default, c4b = default,
            c5a = default, c5b = default,
            c6a = default, c6b = default,
            c7a = default, c7b = default,
            c8a = default, c8b = default,
            c9a = default, c9b = default,
            c10a = default, c10b = default,
            c11a = default, c11b = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = TV.Value > 1 ? Vector512.Load(b + w) : default;
            Vector512<T> t;
            { t = Vector512.Create(a[0]); c0a = Fma(t, b0, c0a); if (TV.Value > 1) c0b = Fma(t, b1, c0b); }
            if (TR.Value > 1) { t = Vector512.Create(a[1]); c1a = Fma(t, b0, c1a); if (TV.Value > 1) c1b = Fma(t, b1, c1b); }
            if (TR.Value > 2) { t = Vector512.Create(a[2]); c2a = Fma(t, b0, c2a); if (TV.Value > 1) c2b = Fma(t, b1, c2b); }
            if (TR.Value > 3) { t = Vector512.Create(a[3]); c3a = Fma(t, b0, c3a); if (TV.Value > 1) c3b = Fma(t, b1, c3b); }
            if (TR.Value > 4) { t = Vector512.Create(a[4]); c4a = Fma(t, b0, c4a); if (TV.Value > 1) c4b = Fma(t, b1, c4b); }
            if (TR.Value > 5) { t = Vector512.Create(a[5]); c5a = Fma(t, b0, c5a); if (TV.Value > 1) c5b = Fma(t, b1, c5b); }
            if (TR.Value > 6) { t = Vector512.Create(a[6]); c6a = Fma(t, b0, c6a); if (TV.Value > 1) c6b = Fma(t, b1, c6b); }
            if (TR.Value > 7) { t = Vector512.Create(a[7]); c7a = Fma(t, b0, c7a); if (TV.Value > 1) c7b = Fma(t, b1, c7b); }
            if (TR.Value > 8) { t = Vector512.Create(a[8]); c8a = Fma(t, b0, c8a); if (TV.Value > 1) c8b = Fma(t, b1, c8b); }
            if (TR.Value > 9) { t = Vector512.Create(a[9]); c9a = Fma(t, b0, c9a); if (TV.Value > 1) c9b = Fma(t, b1, c9b); }
            if (TR.Value > 10) { t = Vector512.Create(a[10]); c10a = Fma(t, b0, c10a); if (TV.Value > 1) c10b = Fma(t, b1, c10b); }
            if (TR.Value > 11) { t = Vector512.Create(a[11]); c11a = Fma(t, b0, c11a); if (TV.Value > 1) c11b = Fma(t, b1, c11b); }
            a += 12;
            b += 2 * w; // packed B rows are NR = 2w wide (zero padded) whatever TV is
        }
        var va = Vector512.Create(alpha);
        var mask = TM.Value != 0 ? Vector512.LessThan(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(tail))) : default;
        if (beta == T.Zero)
        {
            { T* q = c + 0 * ldc; if (TV.Value > 1) { (va * c0a).Store(q); Put<TM>(q + w, va * c0b, mask); } else Put<TM>(q, va * c0a, mask); }
            if (TR.Value > 1) { T* q = c + 1 * ldc; if (TV.Value > 1) { (va * c1a).Store(q); Put<TM>(q + w, va * c1b, mask); } else Put<TM>(q, va * c1a, mask); }
            if (TR.Value > 2) { T* q = c + 2 * ldc; if (TV.Value > 1) { (va * c2a).Store(q); Put<TM>(q + w, va * c2b, mask); } else Put<TM>(q, va * c2a, mask); }
            if (TR.Value > 3) { T* q = c + 3 * ldc; if (TV.Value > 1) { (va * c3a).Store(q); Put<TM>(q + w, va * c3b, mask); } else Put<TM>(q, va * c3a, mask); }
            if (TR.Value > 4) { T* q = c + 4 * ldc; if (TV.Value > 1) { (va * c4a).Store(q); Put<TM>(q + w, va * c4b, mask); } else Put<TM>(q, va * c4a, mask); }
            if (TR.Value > 5) { T* q = c + 5 * ldc; if (TV.Value > 1) { (va * c5a).Store(q); Put<TM>(q + w, va * c5b, mask); } else Put<TM>(q, va * c5a, mask); }
            if (TR.Value > 6) { T* q = c + 6 * ldc; if (TV.Value > 1) { (va * c6a).Store(q); Put<TM>(q + w, va * c6b, mask); } else Put<TM>(q, va * c6a, mask); }
            if (TR.Value > 7) { T* q = c + 7 * ldc; if (TV.Value > 1) { (va * c7a).Store(q); Put<TM>(q + w, va * c7b, mask); } else Put<TM>(q, va * c7a, mask); }
            if (TR.Value > 8) { T* q = c + 8 * ldc; if (TV.Value > 1) { (va * c8a).Store(q); Put<TM>(q + w, va * c8b, mask); } else Put<TM>(q, va * c8a, mask); }
            if (TR.Value > 9) { T* q = c + 9 * ldc; if (TV.Value > 1) { (va * c9a).Store(q); Put<TM>(q + w, va * c9b, mask); } else Put<TM>(q, va * c9a, mask); }
            if (TR.Value > 10) { T* q = c + 10 * ldc; if (TV.Value > 1) { (va * c10a).Store(q); Put<TM>(q + w, va * c10b, mask); } else Put<TM>(q, va * c10a, mask); }
            if (TR.Value > 11) { T* q = c + 11 * ldc; if (TV.Value > 1) { (va * c11a).Store(q); Put<TM>(q + w, va * c11b, mask); } else Put<TM>(q, va * c11a, mask); }
        }
        else
        {
            var vb = Vector512.Create(beta);
            { T* q = c + 0 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c0a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c0b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c0a), mask); }
            if (TR.Value > 1) { T* q = c + 1 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c1a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c1b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c1a), mask); }
            if (TR.Value > 2) { T* q = c + 2 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c2a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c2b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c2a), mask); }
            if (TR.Value > 3) { T* q = c + 3 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c3a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c3b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c3a), mask); }
            if (TR.Value > 4) { T* q = c + 4 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c4a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c4b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c4a), mask); }
            if (TR.Value > 5) { T* q = c + 5 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c5a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c5b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c5a), mask); }
            if (TR.Value > 6) { T* q = c + 6 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c6a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c6b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c6a), mask); }
            if (TR.Value > 7) { T* q = c + 7 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c7a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c7b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c7a), mask); }
            if (TR.Value > 8) { T* q = c + 8 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c8a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c8b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c8a), mask); }
            if (TR.Value > 9) { T* q = c + 9 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c9a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c9b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c9a), mask); }
            if (TR.Value > 10) { T* q = c + 10 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c10a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c10b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c10a), mask); }
            if (TR.Value > 11) { T* q = c + 11 * ldc; if (TV.Value > 1) { Fma(vb, Vector512.Load(q), va * c11a).Store(q); Put<TM>(q + w, Fma(vb, Get<TM>(q + w, mask), va * c11b), mask); } else Put<TM>(q, Fma(vb, Get<TM>(q, mask), va * c11a), mask); }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        return x * y + z;
    }

    /// <summary>Loads a vector of C, only the lanes set in <paramref name="mask"/> when TM = 1 (others read as 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Get<TM>(T* p, Vector512<T> mask) where TM : struct, IConst
    {
        if (TM.Value == 0) return Vector512.Load(p);
        if (typeof(T) == typeof(float))
            return Avx512F.MaskLoad((float*)p, mask.AsSingle(), Vector512<float>.Zero).As<float, T>();
        return Avx512F.MaskLoad((double*)p, mask.AsDouble(), Vector512<double>.Zero).As<double, T>();
    }

    /// <summary>Stores a vector of C, only the lanes set in <paramref name="mask"/> when TM = 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TM>(T* p, Vector512<T> v, Vector512<T> mask) where TM : struct, IConst
    {
        if (TM.Value == 0) v.Store(p);
        else if (typeof(T) == typeof(float)) Avx512F.MaskStore((float*)p, mask.AsSingle(), v.AsSingle());
        else Avx512F.MaskStore((double*)p, mask.AsDouble(), v.AsDouble());
    }
}

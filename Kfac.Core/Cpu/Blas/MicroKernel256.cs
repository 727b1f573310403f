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
    public static void Tile(int mr, int nr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        int w = Vector256<T>.Count;
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
        int w = Vector256<T>.Count;
        Vector256<T> c0a = default, c0b = default,
            c1a = default, c1b = default,
            c2a = default, c2b = default,
            c3a = default, c3b = default,
            c4a = default, c4b = default,
            c5a = default, c5b = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = TV.Value > 1 ? Vector256.Load(b + w) : default;
            Vector256<T> t;
            { t = Vector256.Create(a[0]); c0a = Fma(t, b0, c0a); if (TV.Value > 1) c0b = Fma(t, b1, c0b); }
            if (TR.Value > 1) { t = Vector256.Create(a[1]); c1a = Fma(t, b0, c1a); if (TV.Value > 1) c1b = Fma(t, b1, c1b); }
            if (TR.Value > 2) { t = Vector256.Create(a[2]); c2a = Fma(t, b0, c2a); if (TV.Value > 1) c2b = Fma(t, b1, c2b); }
            if (TR.Value > 3) { t = Vector256.Create(a[3]); c3a = Fma(t, b0, c3a); if (TV.Value > 1) c3b = Fma(t, b1, c3b); }
            if (TR.Value > 4) { t = Vector256.Create(a[4]); c4a = Fma(t, b0, c4a); if (TV.Value > 1) c4b = Fma(t, b1, c4b); }
            if (TR.Value > 5) { t = Vector256.Create(a[5]); c5a = Fma(t, b0, c5a); if (TV.Value > 1) c5b = Fma(t, b1, c5b); }
            a += 6;
            b += 2 * w; // packed B rows are NR = 2w wide (zero padded) whatever TV is
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

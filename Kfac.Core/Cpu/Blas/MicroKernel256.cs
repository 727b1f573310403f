using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

    public static void Tile(int mr, int nr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        if (nr == NR) Full(mr, kc, a, b, c, ldc, alpha, beta);
        else if (nr == Vector256<T>.Count) Half(mr, kc, a, b, c, ldc, alpha, beta);
        else Edge(mr, nr, kc, a, b, c, ldc, alpha, beta);
    }

    private static void Full(int mr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        switch (mr)
        {
            case 6: Core<R6, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 5: Core<R5, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 4: Core<R4, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 3: Core<R3, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 2: Core<R2, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 1: Core<R1, V2>(kc, a, b, c, ldc, alpha, beta); break;
            default: throw new ArgumentOutOfRangeException(nameof(mr));
        }
    }

    private static void Half(int mr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        switch (mr)
        {
            case 6: Core<R6, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 5: Core<R5, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 4: Core<R4, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 3: Core<R3, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 2: Core<R2, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 1: Core<R1, V1>(kc, a, b, c, ldc, alpha, beta); break;
            default: throw new ArgumentOutOfRangeException(nameof(mr));
        }
    }

    /// <summary>Column edge (nr not a whole number of vectors): compute the zero-padded tile into a stack
    /// buffer, then merge the valid mr x nr part into C with alpha/beta.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Edge(int mr, int nr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        T* tmp = stackalloc T[6 * 2 * Vector256<T>.Count];
        int nrp = NR;
        if (nr <= Vector256<T>.Count) Half(mr, kc, a, b, tmp, nrp, T.One, T.Zero);
        else Full(mr, kc, a, b, tmp, nrp, T.One, T.Zero);
        TileMerge.Merge(mr, nr, tmp, nrp, c, ldc, alpha, beta);
    }

    /// <summary>The register-blocked kernel: TR rows (1..MR) x TV vectors (1 or 2) of accumulators stay in
    /// registers for the whole kc loop; each step loads TV vectors of the packed B row, broadcasts TR values
    /// of the packed A column and issues TR*TV FMAs. The generic struct constants make the JIT emit one
    /// specialised body per (TR, TV) with the unused rows removed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Core<TR, TV>(int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
        where TR : struct, IConst where TV : struct, IConst
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
        if (beta == T.Zero)
        {
            { T* q = c + 0 * ldc; (va * c0a).Store(q); if (TV.Value > 1) (va * c0b).Store(q + w); }
            if (TR.Value > 1) { T* q = c + 1 * ldc; (va * c1a).Store(q); if (TV.Value > 1) (va * c1b).Store(q + w); }
            if (TR.Value > 2) { T* q = c + 2 * ldc; (va * c2a).Store(q); if (TV.Value > 1) (va * c2b).Store(q + w); }
            if (TR.Value > 3) { T* q = c + 3 * ldc; (va * c3a).Store(q); if (TV.Value > 1) (va * c3b).Store(q + w); }
            if (TR.Value > 4) { T* q = c + 4 * ldc; (va * c4a).Store(q); if (TV.Value > 1) (va * c4b).Store(q + w); }
            if (TR.Value > 5) { T* q = c + 5 * ldc; (va * c5a).Store(q); if (TV.Value > 1) (va * c5b).Store(q + w); }
        }
        else
        {
            var vb = Vector256.Create(beta);
            { T* q = c + 0 * ldc; Fma(vb, Vector256.Load(q), va * c0a).Store(q); if (TV.Value > 1) Fma(vb, Vector256.Load(q + w), va * c0b).Store(q + w); }
            if (TR.Value > 1) { T* q = c + 1 * ldc; Fma(vb, Vector256.Load(q), va * c1a).Store(q); if (TV.Value > 1) Fma(vb, Vector256.Load(q + w), va * c1b).Store(q + w); }
            if (TR.Value > 2) { T* q = c + 2 * ldc; Fma(vb, Vector256.Load(q), va * c2a).Store(q); if (TV.Value > 1) Fma(vb, Vector256.Load(q + w), va * c2b).Store(q + w); }
            if (TR.Value > 3) { T* q = c + 3 * ldc; Fma(vb, Vector256.Load(q), va * c3a).Store(q); if (TV.Value > 1) Fma(vb, Vector256.Load(q + w), va * c3b).Store(q + w); }
            if (TR.Value > 4) { T* q = c + 4 * ldc; Fma(vb, Vector256.Load(q), va * c4a).Store(q); if (TV.Value > 1) Fma(vb, Vector256.Load(q + w), va * c4b).Store(q + w); }
            if (TR.Value > 5) { T* q = c + 5 * ldc; Fma(vb, Vector256.Load(q), va * c5a).Store(q); if (TV.Value > 1) Fma(vb, Vector256.Load(q + w), va * c5b).Store(q + w); }
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
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Kfac.Cpu.Blas;

/// <summary>
/// AVX-512 micro-kernel: a 12 x (2 * Vector512&lt;T&gt;.Count) tile of C (12 x 32 floats, 12 x 16 doubles) held in
/// 24 zmm accumulators; with the two B vectors and one broadcast that is 27 of the 32 zmm registers. Per k step:
/// 2 vector loads + 12 broadcasts feed 24 FMAs, which keeps both 512-bit FMA pipes of Zen 4/5 busy (measured
/// ~99% of the register-only FMA peak with the panels in L1). 14 x 32 (28 accumulators) and 6 x 64 were no faster
/// here and leave larger edges on the K-FAC shapes (m = 1000 = 83 * 12 + 4).
/// </summary>
internal unsafe struct MicroKernel512<T> : IMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 12;
    public static int NR => 2 * Vector512<T>.Count;
    public static bool IsSupported => Vector512.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    public static void Tile(int mr, int nr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        if (nr == NR) Full(mr, kc, a, b, c, ldc, alpha, beta);
        else if (nr == Vector512<T>.Count) Half(mr, kc, a, b, c, ldc, alpha, beta);
        else Edge(mr, nr, kc, a, b, c, ldc, alpha, beta);
    }

    private static void Full(int mr, int kc, T* a, T* b, T* c, int ldc, T alpha, T beta)
    {
        switch (mr)
        {
            case 12: Core<R12, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 11: Core<R11, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 10: Core<R10, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 9: Core<R9, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 8: Core<R8, V2>(kc, a, b, c, ldc, alpha, beta); break;
            case 7: Core<R7, V2>(kc, a, b, c, ldc, alpha, beta); break;
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
            case 12: Core<R12, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 11: Core<R11, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 10: Core<R10, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 9: Core<R9, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 8: Core<R8, V1>(kc, a, b, c, ldc, alpha, beta); break;
            case 7: Core<R7, V1>(kc, a, b, c, ldc, alpha, beta); break;
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
        T* tmp = stackalloc T[12 * 2 * Vector512<T>.Count];
        int nrp = NR;
        if (nr <= Vector512<T>.Count) Half(mr, kc, a, b, tmp, nrp, T.One, T.Zero);
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
        if (beta == T.Zero)
        {
            { T* q = c + 0 * ldc; (va * c0a).Store(q); if (TV.Value > 1) (va * c0b).Store(q + w); }
            if (TR.Value > 1) { T* q = c + 1 * ldc; (va * c1a).Store(q); if (TV.Value > 1) (va * c1b).Store(q + w); }
            if (TR.Value > 2) { T* q = c + 2 * ldc; (va * c2a).Store(q); if (TV.Value > 1) (va * c2b).Store(q + w); }
            if (TR.Value > 3) { T* q = c + 3 * ldc; (va * c3a).Store(q); if (TV.Value > 1) (va * c3b).Store(q + w); }
            if (TR.Value > 4) { T* q = c + 4 * ldc; (va * c4a).Store(q); if (TV.Value > 1) (va * c4b).Store(q + w); }
            if (TR.Value > 5) { T* q = c + 5 * ldc; (va * c5a).Store(q); if (TV.Value > 1) (va * c5b).Store(q + w); }
            if (TR.Value > 6) { T* q = c + 6 * ldc; (va * c6a).Store(q); if (TV.Value > 1) (va * c6b).Store(q + w); }
            if (TR.Value > 7) { T* q = c + 7 * ldc; (va * c7a).Store(q); if (TV.Value > 1) (va * c7b).Store(q + w); }
            if (TR.Value > 8) { T* q = c + 8 * ldc; (va * c8a).Store(q); if (TV.Value > 1) (va * c8b).Store(q + w); }
            if (TR.Value > 9) { T* q = c + 9 * ldc; (va * c9a).Store(q); if (TV.Value > 1) (va * c9b).Store(q + w); }
            if (TR.Value > 10) { T* q = c + 10 * ldc; (va * c10a).Store(q); if (TV.Value > 1) (va * c10b).Store(q + w); }
            if (TR.Value > 11) { T* q = c + 11 * ldc; (va * c11a).Store(q); if (TV.Value > 1) (va * c11b).Store(q + w); }
        }
        else
        {
            var vb = Vector512.Create(beta);
            { T* q = c + 0 * ldc; Fma(vb, Vector512.Load(q), va * c0a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c0b).Store(q + w); }
            if (TR.Value > 1) { T* q = c + 1 * ldc; Fma(vb, Vector512.Load(q), va * c1a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c1b).Store(q + w); }
            if (TR.Value > 2) { T* q = c + 2 * ldc; Fma(vb, Vector512.Load(q), va * c2a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c2b).Store(q + w); }
            if (TR.Value > 3) { T* q = c + 3 * ldc; Fma(vb, Vector512.Load(q), va * c3a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c3b).Store(q + w); }
            if (TR.Value > 4) { T* q = c + 4 * ldc; Fma(vb, Vector512.Load(q), va * c4a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c4b).Store(q + w); }
            if (TR.Value > 5) { T* q = c + 5 * ldc; Fma(vb, Vector512.Load(q), va * c5a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c5b).Store(q + w); }
            if (TR.Value > 6) { T* q = c + 6 * ldc; Fma(vb, Vector512.Load(q), va * c6a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c6b).Store(q + w); }
            if (TR.Value > 7) { T* q = c + 7 * ldc; Fma(vb, Vector512.Load(q), va * c7a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c7b).Store(q + w); }
            if (TR.Value > 8) { T* q = c + 8 * ldc; Fma(vb, Vector512.Load(q), va * c8a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c8b).Store(q + w); }
            if (TR.Value > 9) { T* q = c + 9 * ldc; Fma(vb, Vector512.Load(q), va * c9a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c9b).Store(q + w); }
            if (TR.Value > 10) { T* q = c + 10 * ldc; Fma(vb, Vector512.Load(q), va * c10a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c10b).Store(q + w); }
            if (TR.Value > 11) { T* q = c + 11 * ldc; Fma(vb, Vector512.Load(q), va * c11a).Store(q); if (TV.Value > 1) Fma(vb, Vector512.Load(q + w), va * c11b).Store(q + w); }
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
}

using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Kfac.Gpu.Kernels;
using Kfac.Gpu.Arithmetic;
using Kfac.Gpu.Runtime;
using Kfac.Linalg;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>
/// The guarded SPD inverse on the device, with the contract of Kfac.Linalg.GuardedSpdInverse:
/// W = (A + A^T)/2 + damping I (NaN/Inf in A counted on the way), a blocked right-looking Cholesky W = L L^T,
/// the triangular inverse L^-1, and inverse = L^-T L^-1 computed as a SYRK (so it is exactly symmetric).
/// <list type="number">
/// <item>Cholesky, per 32-column block j: <see cref="CholeskyDiagonalKernel"/> (one group factors the diagonal
/// block), <see cref="CholeskyPanelKernel"/> (L21 = A21 L11^-T, a thread per row), <see cref="SyrkKernel"/>
/// (A22 -= L21 L21^T on the lower triangle: the GEMM-tiled trailing update, where the flops are).</item>
/// <item>L^-1: <see cref="TriangularInverseDiagonalKernel"/> inverts all diagonal blocks in one launch; block row i
/// of the inverse is then -Linv_ii (L[i, 0:i] Linv[0:i, 0:i]), two GEMMs per block row.</item>
/// <item>inverse = Linv^T Linv by the SYRK kernel with mirroring.</item>
/// </list>
/// The kernels record a failed pivot (not positive or not finite) and non-finite results in a status buffer that
/// the host reads once per attempt: it must, to throw <see cref="NonFiniteMatrixException"/> or
/// <see cref="NotPositiveDefiniteException"/>, or to redo a failed float32 attempt in float64 (the documented host
/// round trip). Work buffers are rented from the device pool, so repeated inversions allocate nothing.
/// </summary>
public sealed partial class IlgpuBackend
{
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<double>, int, double, ArrayView<double>> _widen;
    private readonly Action<KernelConfig, ArrayView<double>, ArrayView<float>, int, ArrayView<double>, int> _narrow;

    public void SpdInverse(Tensor a, int n, double damping, Tensor inverse)
    {
        SameDType(a, inverse, nameof(a), nameof(inverse));
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "'n' must be >= 0");
        if (a.Numel != (long)n * n)
            throw new ArgumentException($"'a' must hold an {n}x{n} matrix ({(long)n * n} elements), but has shape {a.Shape}", nameof(a));
        if (inverse.Numel != (long)n * n)
            throw new ArgumentException($"'inverse' must hold an {n}x{n} matrix ({(long)n * n} elements), but has shape {inverse.Shape}", nameof(inverse));
        if (!(damping >= 0) || double.IsInfinity(damping))
            throw new ArgumentOutOfRangeException(nameof(damping), damping, "damping must be finite and >= 0.");
        if (n == 0) return;
        lock (_gate)
        {
            if (IsDouble(a)) InvertDouble(a, n, damping, inverse);
            else InvertSingle(a, n, damping, inverse);
        }
    }

    private void InvertDouble(Tensor a, int n, double damping, Tensor inverse)
    {
        var av = V<double>(a, nameof(a));
        using var w = new ScratchBuffer<double>(Pool, (long)n * n);
        ResetStatus();
        _f64.Symmetrize(Policy.Linear((long)n * n), av, w.View, n, damping, StatusView);
        FactorAndInvert(_f64, w.View, n);
        var status = ReadStatus();
        ThrowIfNonFiniteInput(a, n, status);
        if (status[SpdInfo.FailedPivot] != 0)
            throw new NotPositiveDefiniteException(n, (int)status[SpdInfo.FailedPivot] - 1, status[SpdInfo.PivotValue]);
        w.View.CopyTo(_stream, V<double>(inverse, nameof(inverse)));
    }

    private void InvertSingle(Tensor a, int n, double damping, Tensor inverse)
    {
        var av = V<float>(a, nameof(a));
        long count = (long)n * n;
        using var w = new ScratchBuffer<float>(Pool, count);
        ResetStatus();
        _f32.Symmetrize(Policy.Linear(count), av, w.View, n, damping, StatusView);
        FactorAndInvert(_f32, w.View, n);
        _f32.CountNonFinite(Policy.Linear(count), w.View, (int)count, StatusView, SpdInfo.NonFiniteResult);
        var status = ReadStatus();
        ThrowIfNonFiniteInput(a, n, status);
        if (status[SpdInfo.FailedPivot] == 0 && status[SpdInfo.NonFiniteResult] == 0)
        {
            w.View.CopyTo(_stream, V<float>(inverse, nameof(inverse)));
            return;
        }

        // float32 failed (a pivot <= 0 from rounding, or an overflowing inverse): redo everything in float64
        // from the original input and round the result to float.
        int singlePivot = (int)status[SpdInfo.FailedPivot] - 1;
        string why = singlePivot < 0 ? "after the float32 inverse overflowed" : $"after float32 failed at pivot {singlePivot}";
        using var wide = new ScratchBuffer<double>(Pool, count);
        ResetStatus();
        _widen(Policy.Linear(count), av, wide.View, n, damping, StatusView);
        FactorAndInvert(_f64, wide.View, n);
        _narrow(Policy.Linear(count), wide.View, w.View, (int)count, StatusView, SpdInfo.NonFiniteResult);
        status = ReadStatus();
        if (status[SpdInfo.FailedPivot] != 0)
            throw new NotPositiveDefiniteException(n, (int)status[SpdInfo.FailedPivot] - 1, status[SpdInfo.PivotValue], "float64 Cholesky " + why);
        if (status[SpdInfo.NonFiniteResult] != 0)
        {
            // Error path only: name the first entry beyond the float range, and report the factor's smallest pivot
            // l_pp^2 as the cause (as the CPU backend does), from the float64 factor recomputed for the purpose.
            var host = new double[count];
            wide.View.CopyToCPU(_stream, host.AsSpan());
            _stream.Synchronize();
            int i = Array.FindIndex(host, v => !float.IsFinite((float)v));
            _widen(Policy.Linear(count), av, wide.View, n, damping, StatusView);
            Factor(_f64, wide.View, n);
            var factor = new double[count];
            wide.View.CopyToCPU(_stream, factor.AsSpan());
            _stream.Synchronize();
            int p = 0;
            for (int k = 1; k < n; k++) if (factor[k * n + k] < factor[p * n + p]) p = k;
            throw new NotPositiveDefiniteException(n, p, factor[p * n + p] * factor[p * n + p], FormattableString.Invariant(
                $"entry ({i / n},{i % n}) of the float64 inverse, {host[i]:R}, exceeds the float32 range; float64 retry {why}"));
        }
        w.View.CopyTo(_stream, V<float>(inverse, nameof(inverse)));
    }

    /// <summary>
    /// In place on the n x n work matrix <paramref name="w"/> (row-major, lower triangle used): Cholesky, then
    /// w = L^-T L^-1. Queues kernels only; failures land in the status buffer.
    /// </summary>
    private void FactorAndInvert<T, TReal>(KernelSet<T, TReal> k, ArrayView<T> w, int n)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        Factor(k, w, n);
        InvertFromFactor(k, w, n);
    }

    /// <summary>Blocked right-looking Cholesky in place: the lower triangle of w becomes L (w = L L^T).</summary>
    private void Factor<T, TReal>(KernelSet<T, TReal> k, ArrayView<T> w, int n)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        const int nb = KernelLimits.CholeskyBlock;
        var status = StatusView;
        for (int j0 = 0; j0 < n; j0 += nb)
        {
            int bs = System.Math.Min(nb, n - j0), j1 = j0 + bs, rest = n - j1;
            k.CholeskyDiagonal(Policy.Single, w, n, j0, bs, status);
            if (rest == 0) break;
            k.CholeskyPanel(Policy.Linear(rest), w, n, j0, bs);
            var update = new SyrkArgs { N = rest, K = bs, XOffset = j1 * n + j0, Ldx = n, Transposed = 1, COffset = j1 * n + j1, Ldc = n };
            k.Syrk(Policy.Tiles(rest, rest), w, w, update, Cast<T>(-1), T.One);
        }
    }

    /// <summary>w (holding L in its lower triangle) becomes L^-T L^-1 = (L L^T)^-1.</summary>
    private void InvertFromFactor<T, TReal>(KernelSet<T, TReal> k, ArrayView<T> w, int n)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        const int nb = KernelLimits.CholeskyBlock;
        // v = L^-1 (lower triangular; the part above the diagonal blocks stays zero).
        using var v = new ScratchBuffer<T>(Pool, (long)n * n);
        var zero = new BlockArgs { Rows = 1, Cols = n * n, DstStride = n * n };
        k.FillBlock(Policy.Linear((long)n * n), v.View, zero, T.Zero);
        int blocks = (n + nb - 1) / nb;
        k.TriangularInverseDiagonal(Policy.Groups(blocks), w, v.View, n, nb);
        if (blocks > 1)
        {
            using var t = new ScratchBuffer<T>(Pool, (long)nb * (n - System.Math.Min(nb, n)));
            for (int i = 1; i < blocks; i++)
            {
                int r0 = i * nb, bs = System.Math.Min(nb, n - r0);
                // t = L[r0 : r0 + bs, 0 : r0] Linv[0 : r0, 0 : r0]
                Gemm(k, w, v.View, t.View, new GemmArgs { M = bs, N = r0, K = r0, AOffset = r0 * n, Lda = n, Ldb = n, Ldc = r0 }, 1, 0);
                // Linv[r0 : r0 + bs, 0 : r0] = -Linv[r0.., r0..] t
                Gemm(k, v.View, t.View, v.View, new GemmArgs { M = bs, N = r0, K = bs, AOffset = r0 * n + r0, Lda = n, Ldb = r0, COffset = r0 * n, Ldc = n }, -1, 0);
            }
        }

        // w = Linv^T Linv, exactly symmetric.
        var product = new SyrkArgs { N = n, K = n, Ldx = n, Ldc = n, Mirror = 1 };
        k.Syrk(Policy.Tiles(n, n), v.View, w, product, T.One, T.Zero);
    }

    /// <summary>
    /// The Cholesky factor alone (for benchmarks): the lower triangle of <paramref name="factor"/> becomes L with
    /// L L^T = (A + A^T)/2 + damping I; the strictly upper part is left unspecified. Throws like SpdInverse
    /// (float32 only, no float64 retry).
    /// </summary>
    internal void Cholesky(Tensor a, int n, double damping, Tensor factor)
    {
        SameDType(a, factor, nameof(a), nameof(factor));
        AtLeast(a, (long)n * n, nameof(a), $"Cholesky of an {n} x {n} matrix");
        AtLeast(factor, (long)n * n, nameof(factor), $"Cholesky of an {n} x {n} matrix");
        if (ReferenceEquals(a.Storage, factor.Storage))
            throw new ArgumentException("'factor' must not share storage with 'a' (the symmetrisation reads both triangles)", nameof(factor));
        lock (_gate)
        {
            ResetStatus();
            double[] status;
            if (IsDouble(a))
            {
                var l = V<double>(factor, nameof(factor));
                _f64.Symmetrize(Policy.Linear((long)n * n), V<double>(a, nameof(a)), l, n, damping, StatusView);
                Factor(_f64, l, n);
            }
            else
            {
                var l = V<float>(factor, nameof(factor));
                _f32.Symmetrize(Policy.Linear((long)n * n), V<float>(a, nameof(a)), l, n, damping, StatusView);
                Factor(_f32, l, n);
            }
            status = ReadStatus();
            ThrowIfNonFiniteInput(a, n, status);
            if (status[SpdInfo.FailedPivot] != 0)
                throw new NotPositiveDefiniteException(n, (int)status[SpdInfo.FailedPivot] - 1, status[SpdInfo.PivotValue]);
        }
    }

    private ArrayView<double> StatusView => _status.View.AsContiguous();

    private void ResetStatus() => _status.View.MemSetToZero(_stream);

    /// <summary>Throws the CPU backend's exception for a NaN/Inf input, naming the first bad entry (error path: downloads a).</summary>
    private static void ThrowIfNonFiniteInput(Tensor a, int n, double[] status)
    {
        if (status[SpdInfo.NonFiniteInput] == 0) return;
        var host = a.ToDoubleArray();
        int i = Array.FindIndex(host, v => !double.IsFinite(v));
        throw new NonFiniteMatrixException("a", i, i / n, i % n, host[i]);
    }
}

using System.Buffers;
using Kfac.Linalg;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// A = Q_A diag(lambda_A) Q_A^T and G = Q_G diag(lambda_G) Q_G^T, so that
/// (A (x) G + d I)^p vec(V) = vec( Q_G [ (Q_G^T V Q_A) .* (lambda_G lambda_A^T + d)^p ] Q_A^T ) exactly,
/// with d = gamma^2 (the product-level damping matching the per-factor gamma of factored Tikhonov).
/// The eigendecompositions run on the host in double; the factors and the scale live on the device.
/// <para>
/// Per product the arithmetic is four GEMMs, 2 (dG^2 dA + dG dA^2) multiply-adds, and nothing else: Q_A and Q_G are
/// held constant (<see cref="IBackend.HoldConstant"/>) for the decomposition's lifetime, so the backend packs each
/// once per orientation as a B operand instead of in every product (they are never written after
/// <see cref="Decompose"/>; the hold is dropped with this object), and the two intermediates of a product (and the
/// [W | b] matrices of <see cref="ApplyWeightBias"/>) are scratch buffers of this object, created at its first
/// product, so a product allocates no managed memory after the first. One product at a time per object (the scratch
/// is shared), which is how blocks use it: one refresh or product of a block at a time.
/// </para>
/// </summary>
internal sealed class EigenbasisFactors
{
    private readonly Tensor _qa, _qg;
    private readonly double[] _la, _lg;
    private readonly double _damping;
    private readonly Dictionary<double, Tensor> _scales = [];
    private readonly IDisposable _hold; // the packed Q_A, Q_G: lives (and is dropped) with this object
    private Tensor? _t, _w, _combined, _combinedResult;

    private EigenbasisFactors(Tensor qa, Tensor qg, double[] la, double[] lg, double damping)
    {
        (_qa, _qg, _la, _lg, _damping) = (qa, qg, la, lg, damping);
        _hold = qa.Backend.HoldConstant([qa, qg]);
    }

    public static EigenbasisFactors Decompose(Tensor a, Tensor g, double gamma)
    {
        var (qa, la) = Eigen(a);
        var (qg, lg) = Eigen(g);
        return new EigenbasisFactors(qa, qg, la, lg, gamma * gamma);
    }

    private static (Tensor Q, double[] Lambda) Eigen(Tensor factor)
    {
        int n = factor.Shape[0], nn = n * n;
        var values = new double[n];
        var host = ArrayPool<double>.Shared.Rent(nn);
        var vectors = ArrayPool<double>.Shared.Rent(nn);
        try
        {
            Download(factor, host.AsSpan(0, nn));
            SymmetricEigen.Decompose(host.AsSpan(0, nn), n, values, vectors.AsSpan(0, nn));
            // Statistics are PSD; rounding can make the smallest eigenvalues slightly negative.
            for (int i = 0; i < n; i++) values[i] = Math.Max(values[i], 0);
            using var outside = TensorScope.Suspend();
            return (Upload(vectors.AsSpan(0, nn), factor.Shape, factor), values);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(host);
            ArrayPool<double>.Shared.Return(vectors);
        }
    }

    /// <summary>The factor's elements in double, through a pooled buffer (a refresh's host copies are rented, not
    /// allocated: the 1025 x 1025 factor of MinAtar's Dense layer is 8 MB per copy).</summary>
    private static void Download(Tensor factor, Span<double> destination)
    {
        if (factor.DType == DType.Float64)
        {
            factor.Backend.Download(factor.Storage, 0, destination);
            return;
        }
        var f = ArrayPool<float>.Shared.Rent(destination.Length);
        try
        {
            var span = f.AsSpan(0, destination.Length);
            factor.Backend.Download(factor.Storage, 0, span);
            for (int i = 0; i < span.Length; i++) destination[i] = span[i];
        }
        finally { ArrayPool<float>.Shared.Return(f); }
    }

    /// <summary>A new tensor of <paramref name="shape"/> on <paramref name="like"/>'s device and dtype holding
    /// <paramref name="values"/> (converted through a pooled buffer).</summary>
    private static Tensor Upload(ReadOnlySpan<double> values, Shape shape, Tensor like)
    {
        var t = Tensor.Empty(shape, like.DType, like.Device);
        if (like.DType == DType.Float64)
        {
            t.Backend.Upload(values, t.Storage, 0);
            return t;
        }
        var f = ArrayPool<float>.Shared.Rent(values.Length);
        try
        {
            var span = f.AsSpan(0, values.Length);
            for (int i = 0; i < span.Length; i++) span[i] = (float)values[i];
            t.Backend.Upload<float>(span, t.Storage, 0);
        }
        finally { ArrayPool<float>.Shared.Return(f); }
        return t;
    }

    /// <summary>u = (A (x) G + d I)^power v for v, u of shape [dim G, dim A].</summary>
    public void Apply(Tensor v, Tensor u, double power)
    {
        int rows = _lg.Length, cols = _la.Length;
        if (v.Numel != rows * cols)
            throw new ShapeMismatchException($"EigenbasisFactors.Apply: v {v.Shape} must hold dim G x dim A = {rows} x {cols} elements", nameof(v));
        if (u.Numel != rows * cols)
            throw new ShapeMismatchException($"EigenbasisFactors.Apply: u {u.Shape} must hold dim G x dim A = {rows} x {cols} elements", nameof(u));
        var backend = v.Backend;
        var t = _t ??= Persistent(new Shape(rows, cols), v);
        var w = _w ??= Persistent(new Shape(rows, cols), v);
        backend.Gemm(true, false, rows, cols, rows, 1, _qg, v, 0, t);      // Q_G^T V
        backend.Gemm(false, false, rows, cols, cols, 1, t, _qa, 0, w);     // (Q_G^T V) Q_A
        backend.Binary(BinaryOp.Mul, w, Scale(power, v), w, new BroadcastLayout(1, w.Numel, 1, BroadcastSide.None), false);
        backend.Gemm(false, false, rows, cols, rows, 1, _qg, w, 0, t);     // Q_G W
        backend.Gemm(false, true, rows, cols, cols, 1, t, _qa, 0, u);      // (Q_G W) Q_A^T
    }

    /// <summary>
    /// The same product on a layer's [W | b] (result[0] = W part, result[1] = b part; without a bias, W alone):
    /// the bias column is joined to W in a scratch [rows, cols + 1] matrix rather than a new one per product.
    /// </summary>
    public void ApplyWeightBias(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, int rows, int cols, double power)
    {
        if (vector.Count == 1)
        {
            Apply(vector[0], result[0], power);
            return;
        }
        var w = vector[0];
        var vc = _combined ??= Persistent(new Shape(rows, cols + 1), w);
        var uc = _combinedResult ??= Persistent(vc.Shape, w);
        WeightBiasMatrix.CombineInto(vector, vc, rows, cols);
        Apply(vc, uc, power);
        WeightBiasMatrix.Split(uc, result, rows, cols);
    }

    /// <summary>A buffer of <paramref name="shape"/> on <paramref name="like"/>'s device and dtype, outside any tensor scope.</summary>
    private static Tensor Persistent(Shape shape, Tensor like)
    {
        using var outside = TensorScope.Suspend();
        return Tensor.Empty(shape, like.DType, like.Device);
    }

    /// <summary>(lambda_G lambda_A^T + d)^power, built once per power for this decomposition (the refresh warms it).</summary>
    private Tensor Scale(double power, Tensor like)
    {
        if (_scales.TryGetValue(power, out var s)) return s;
        int rows = _lg.Length, cols = _la.Length;
        var values = ArrayPool<double>.Shared.Rent(rows * cols);
        try
        {
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) values[r * cols + c] = Math.Pow(_lg[r] * _la[c] + _damping, power);
            using var outside = TensorScope.Suspend();
            s = Upload(values.AsSpan(0, rows * cols), new Shape(rows, cols), like);
        }
        finally { ArrayPool<double>.Shared.Return(values); }
        _scales[power] = s;
        return s;
    }
}

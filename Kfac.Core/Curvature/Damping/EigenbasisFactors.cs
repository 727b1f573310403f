using Kfac.Linalg;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// A = Q_A diag(lambda_A) Q_A^T and G = Q_G diag(lambda_G) Q_G^T, so that
/// (A (x) G + d I)^p vec(V) = vec( Q_G [ (Q_G^T V Q_A) .* (lambda_G lambda_A^T + d)^p ] Q_A^T ) exactly,
/// with d = gamma^2 (the product-level damping matching the per-factor gamma of factored Tikhonov).
/// The eigendecompositions run on the host in double; the factors and the scale live on the device.
/// </summary>
internal sealed class EigenbasisFactors
{
    private readonly Tensor _qa, _qg;
    private readonly double[] _la, _lg;
    private readonly double _damping;
    private readonly Dictionary<double, Tensor> _scales = [];

    private EigenbasisFactors(Tensor qa, Tensor qg, double[] la, double[] lg, double damping)
    {
        (_qa, _qg, _la, _lg, _damping) = (qa, qg, la, lg, damping);
    }

    public static EigenbasisFactors Decompose(Tensor a, Tensor g, double gamma)
    {
        var (qa, la) = Eigen(a);
        var (qg, lg) = Eigen(g);
        return new EigenbasisFactors(qa, qg, la, lg, gamma * gamma);
    }

    private static (Tensor Q, double[] Lambda) Eigen(Tensor factor)
    {
        int n = factor.Shape[0];
        var values = new double[n];
        var vectors = new double[n * n];
        SymmetricEigen.Decompose(factor.ToDoubleArray(), n, values, vectors);
        // Statistics are PSD; rounding can make the smallest eigenvalues slightly negative.
        for (int i = 0; i < n; i++) values[i] = Math.Max(values[i], 0);
        using var outside = TensorScope.Suspend();
        return (Tensor.FromDoubles(vectors, factor.Shape, factor.DType, factor.Device), values);
    }

    /// <summary>u = (A (x) G + d I)^power v for v, u of shape [dim G, dim A].</summary>
    public void Apply(Tensor v, Tensor u, double power)
    {
        int rows = _lg.Length, cols = _la.Length;
        var backend = v.Backend;
        var t = Tensor.Empty(v.Shape, v.DType, v.Device);
        var w = Tensor.Empty(v.Shape, v.DType, v.Device);
        backend.Gemm(true, false, rows, cols, rows, 1, _qg, v, 0, t);      // Q_G^T V
        backend.Gemm(false, false, rows, cols, cols, 1, t, _qa, 0, w);     // (Q_G^T V) Q_A
        backend.Binary(BinaryOp.Mul, w, Scale(power, v), w, new BroadcastLayout(1, w.Numel, 1, BroadcastSide.None), false);
        backend.Gemm(false, false, rows, cols, rows, 1, _qg, w, 0, t);     // Q_G W
        backend.Gemm(false, true, rows, cols, cols, 1, t, _qa, 0, u);      // (Q_G W) Q_A^T
    }

    private Tensor Scale(double power, Tensor like)
    {
        if (_scales.TryGetValue(power, out var s)) return s;
        int rows = _lg.Length, cols = _la.Length;
        var values = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) values[r * cols + c] = Math.Pow(_lg[r] * _la[c] + _damping, power);
        using var outside = TensorScope.Suspend();
        s = Tensor.FromDoubles(values, like.Shape, like.DType, like.Device);
        _scales[power] = s;
        return s;
    }
}

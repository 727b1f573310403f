using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// The Kronecker factors' statistics of a dense layer s = x W^T + b (Martens &amp; Grosse 2015, section 3), shared by
/// the block-diagonal <see cref="KroneckerFactoredBlock"/> and the block-tridiagonal <see cref="TridiagonalChain"/>
/// (whose diagonal blocks are the same factors):
/// <code>
/// A &lt;- eps A + (1 - eps) (1/m) sum_i abar_i abar_i^T           abar = [x; 1]
/// G &lt;- eps G + (1 - eps) (1/m) sum_i sum_passes g_i g_i^T     g = m dMeanLoss/ds (per example)
/// </code>
/// </summary>
internal static class DenseFactorStatistics
{
    /// <summary>Folds the capture of <paramref name="tag"/> into <paramref name="a"/> and <paramref name="g"/>; returns
    /// Xbar [m, dIn] (the homogeneous inputs, a step-scoped temporary) for callers that also form cross factors.
    /// <paramref name="lowerOnly"/>: update only the factors' lower triangles (<see cref="IBackend.SyrkLower"/>).</summary>
    public static Tensor Accumulate(DenseTag tag, LayerCapture capture, double eps, Tensor a, Tensor g, bool lowerOnly = false)
    {
        int m = capture.BatchSize;
        var backend = a.Backend;

        // A <- eps A + (1 - eps) (1/m) sum abar abar^T
        var xbar = Homogeneous(capture.Input, tag.HasBias);
        if (lowerOnly) backend.SyrkLower(xbar, m, tag.InputDim, (1 - eps) / m, eps, a);
        else backend.Syrk(xbar, m, tag.InputDim, (1 - eps) / m, eps, a);

        // G <- eps G + (1 - eps) (1/m) sum_i sum_passes g g^T, with g = m * dMeanLoss/ds.
        var grads = capture.OutputGradients;
        for (int j = 0; j < grads.Count; j++)
        {
            if (lowerOnly) backend.SyrkLower(grads[j], m, tag.OutFeatures, (1 - eps) * m, j == 0 ? eps : 1, g);
            else backend.Syrk(grads[j], m, tag.OutFeatures, (1 - eps) * m, j == 0 ? eps : 1, g);
        }
        return xbar;
    }

    /// <summary>[x, 1] for a batch x [m, in] (a step-scoped temporary), or x itself without a bias.</summary>
    public static Tensor Homogeneous(Tensor x, bool withOne)
    {
        if (!withOne) return x;
        int m = x.Shape[0], n = x.Shape[1];
        var xbar = Tensor.Empty(new Shape(m, n + 1), x.DType, x.Device);
        x.Backend.CopyBlock(x, 0, n, xbar, 0, n + 1, m, n);
        x.Backend.FillBlock(xbar, n, n + 1, m, 1, 1);
        return xbar;
    }
}

using Kfac.Tensors;

namespace Kfac.Tests.Conv;

/// <summary>
/// The oracle for the convolution's three products, written from the definition with no patch matrix: for image n,
/// output channel o and window position (p, q), y[o, (n, p, q)] = sum over (c, i, j) inside the image of
/// W[o, (c, i, j)] x[n, c, p sh - ph + i, q sw - pw + j]; the weight gradient dW[o, (c, i, j)] = sum over (n, p, q) of
/// dyc[o, (n, p, q)] x[n, c, ...] and the input gradient dx[n, c, r, s] = sum over the windows and kernel positions that
/// read x[n, c, r, s] of W[o, (c, i, j)] dyc[o, (n, p, q)]. Double precision, channel-major [Cout, N T] outputs.
/// </summary>
internal sealed class DirectConvolution(WindowGeometry g, double[] x, double[] w, double[] dyc, int cout)
{
    private int K => g.PatchSize;

    /// <summary>Calls <paramref name="visit"/>(o, q, r, xIndex) for every product term W[o, q] x[xIndex] of output column r.</summary>
    private void Terms(Action<int, int, int, int> visit)
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        for (int n = 0; n < g.Batch; n++)
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++)
                {
                    int r = (n * oh + p) * ow + q;
                    for (int c = 0; c < g.Channels; c++)
                        for (int i = 0; i < g.KernelH; i++)
                            for (int j = 0; j < g.KernelW; j++)
                            {
                                int row = p * g.StrideH - g.PadH + i, col = q * g.StrideW - g.PadW + j;
                                if (row < 0 || row >= g.Height || col < 0 || col >= g.Width) continue;
                                int patch = (c * g.KernelH + i) * g.KernelW + j;
                                int xi = ((n * g.Channels + c) * g.Height + row) * g.Width + col;
                                for (int o = 0; o < cout; o++) visit(o, patch, r, xi);
                            }
                }
    }

    public double[] Forward()
    {
        var y = new double[cout * g.PatchCount];
        Terms((o, q, r, xi) => y[o * g.PatchCount + r] += w[o * K + q] * x[xi]);
        return y;
    }

    public double[] WeightGradient()
    {
        var dw = new double[cout * K];
        Terms((o, q, r, xi) => dw[o * K + q] += dyc[o * g.PatchCount + r] * x[xi]);
        return dw;
    }

    public double[] InputGradient()
    {
        var dx = new double[g.InputNumel];
        Terms((o, q, r, xi) => dx[xi] += w[o * K + q] * dyc[o * g.PatchCount + r]);
        return dx;
    }
}

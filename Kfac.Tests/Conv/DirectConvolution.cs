using Kfac.Tensors;

namespace Kfac.Tests.Conv;

/// <summary>
/// The oracle for the convolution's input gradient, written from the definition with no patch matrix:
/// dx[n, c, r, s] = sum over the window positions (p, q) and kernel positions (i, j) with p sh - ph + i = r and
/// q sw - pw + j = s of W[o, (c, i, j)] dyc[o, (n, p, q)], summed over o; dyc is channel-major [Cout, N T]. Double precision.
/// </summary>
internal sealed class DirectConvolution(WindowGeometry g, double[] w, double[] dyc, int cout)
{
    public double[] InputGradient()
    {
        var dx = new double[g.InputNumel];
        int oh = g.OutHeight, ow = g.OutWidth, k = g.PatchSize;
        for (int n = 0; n < g.Batch; n++)
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++)
                {
                    int column = (n * oh + p) * ow + q;
                    for (int c = 0; c < g.Channels; c++)
                        for (int i = 0; i < g.KernelH; i++)
                            for (int j = 0; j < g.KernelW; j++)
                            {
                                int r = p * g.StrideH - g.PadH + i, s = q * g.StrideW - g.PadW + j;
                                if (r < 0 || r >= g.Height || s < 0 || s >= g.Width) continue;
                                int patch = (c * g.KernelH + i) * g.KernelW + j;
                                for (int o = 0; o < cout; o++)
                                    dx[((n * g.Channels + c) * g.Height + r) * g.Width + s] += w[o * k + patch] * dyc[o * g.PatchCount + column];
                            }
                }
        return dx;
    }
}

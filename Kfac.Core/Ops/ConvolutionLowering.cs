using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// The convolution's input gradient through ONE [C kh kw, N T] matrix for the whole batch, from the backend's
/// primitives: dcols = W^T dyc (W [Cout, C kh kw], dyc [Cout, N T] channel-major), then dx (+)= col2im(dcols). This is
/// the lowering a backend runs when nothing smaller pays (the GPU backend, whose device memory holds the whole matrix);
/// the CPU backend runs it a few images at a time so each piece of dcols is added back while it is in cache
/// (<c>CpuBackend.ConvolutionInputGradient.cs</c>), and its tests compare against this one.
/// </summary>
public static class ConvolutionLowering
{
    /// <summary>dx (+)= col2im(W^T dyc).</summary>
    public static void InputGradient(IBackend backend, Tensor weight, WindowGeometry g, Tensor dyc, Tensor dx, bool accumulate)
    {
        int cout = weight.Shape[0];
        var dcols = Tensor.Empty(new Shape(g.PatchSize, g.PatchCount), dyc.DType, dyc.Device);
        backend.Gemm(true, false, g.PatchSize, g.PatchCount, cout, 1, weight, dyc, 0, dcols);
        backend.Col2Im(dcols, g, dx, accumulate);
    }
}

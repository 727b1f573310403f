using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// The convolution's three products through ONE patch matrix for the whole batch, cols = im2col(x)
/// [C kh kw, N T] (Grosse and Martens 2016, section 2: the columns are KFC's patches), from the backend's
/// primitives:
/// <code>
/// forward          yc = W cols + beta yc                 W [Cout, C kh kw], yc [Cout, N T] (channel-major)
/// weight gradient  dW = dyc cols^T + beta dW
/// input gradient   dx (+)= col2im(W^T dyc)
/// </code>
/// This is the lowering a backend runs when nothing smaller pays (the GPU backend, whose device memory holds the
/// whole matrix); the CPU backend runs the same products a few images at a time so each piece of the patch matrix
/// stays in cache (<c>CpuBackend.ConvolutionProducts.cs</c>), and its tests compare against this one.
/// </summary>
public static class ConvolutionLowering
{
    /// <summary>yc = W im2col(x) + beta yc.</summary>
    public static void Forward(IBackend backend, Tensor x, WindowGeometry g, Tensor weight, double beta, Tensor yc)
    {
        int cout = weight.Shape[0];
        var cols = Tensor.Empty(new Shape(g.PatchSize, g.PatchCount), x.DType, x.Device);
        backend.Im2Col(x, g, cols);
        backend.Gemm(false, false, cout, g.PatchCount, g.PatchSize, 1, weight, cols, beta, yc);
    }

    /// <summary>dW = dyc im2col(x)^T + beta dW.</summary>
    public static void WeightGradient(IBackend backend, Tensor x, WindowGeometry g, Tensor dyc, double beta, Tensor dw)
    {
        int cout = dw.Shape[0];
        var cols = Tensor.Empty(new Shape(g.PatchSize, g.PatchCount), x.DType, x.Device);
        backend.Im2Col(x, g, cols);
        backend.Gemm(false, true, cout, g.PatchSize, g.PatchCount, 1, dyc, cols, beta, dw);
    }

    /// <summary>dx (+)= col2im(W^T dyc).</summary>
    public static void InputGradient(IBackend backend, Tensor weight, WindowGeometry g, Tensor dyc, Tensor dx, bool accumulate)
    {
        int cout = weight.Shape[0];
        var dcols = Tensor.Empty(new Shape(g.PatchSize, g.PatchCount), dyc.DType, dyc.Device);
        backend.Gemm(true, false, g.PatchSize, g.PatchCount, cout, 1, weight, dyc, 0, dcols);
        backend.Col2Im(dcols, g, dx, accumulate);
    }
}

using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// Max and average pooling of NCHW images over kernel windows (no parameters, so no curvature block).
/// Max pooling has its own kernels (arg max recomputed from x in backward and JVP); average pooling is
/// linear and is lowered onto im2col of each channel plane: y = the mean of the kh kw rows of the patch
/// matrix, whose adjoint is broadcast-then-col2im.
/// </summary>
public static class PoolingOps
{
    /// <summary>y[n, c, oh, ow] = max over the window. Padding counts as -inf and may be at most half the kernel
    /// (so every window holds a real element).</summary>
    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding = default)
    {
        const string op = "MaxPool2d";
        OpChecks.NotNull(input, op, nameof(input));
        var g = WindowGeometry.Of(op, input, kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W);
        if (2 * padding.H > kernel.H || 2 * padding.W > kernel.W)
            throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: padding ({padding.H}, {padding.W}) must be at most half the kernel {kernel.H}x{kernel.W}");
        var y = Tensor.Empty(new Shape(g.Batch, g.Channels, g.OutHeight, g.OutWidth), input.DType, input.Device);
        input.Backend.MaxPool(input, g, y);
        if (ForwardMode.Propagates(input))
            using (ForwardMode.Suspend()) y.Tangent = MaxPoolTangent(input, input.Tangent!, g);
        if (OpChecks.Records(input)) y.MarkRequiresGrad(new MaxPoolNode(input, g));
        return y;
    }

    private static Tensor MaxPoolTangent(Tensor x, Tensor tx, WindowGeometry g)
    {
        var t = Tensor.Empty(new Shape(g.Batch, g.Channels, g.OutHeight, g.OutWidth), x.DType, x.Device);
        x.Backend.MaxPoolJvp(x, tx, g, t);
        return t;
    }

    private sealed class MaxPoolNode(Tensor x, WindowGeometry g) : Node("MaxPool2d", x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => MaxPoolTangent(x, t[0]!, g);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            dy.Backend.MaxPoolBackward(x, dy, g, dx, acc);
        }
    }

    /// <summary>y[n, c, oh, ow] = mean over the kernel window; zero padding is counted in the mean (PyTorch's
    /// count_include_pad = true).</summary>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding = default)
    {
        const string op = "AvgPool2d";
        OpChecks.NotNull(input, op, nameof(input));
        var g = WindowGeometry.Of(op, input, kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W);
        // Every (n, c) plane is an image of one channel: its patch rows hold exactly the windows to average.
        var planes = g with { Batch = g.Batch * g.Channels, Channels = 1 };
        var y = Tensor.Empty(new Shape(g.Batch, g.Channels, g.OutHeight, g.OutWidth), input.DType, input.Device);
        WindowMean(input, planes, y);
        if (ForwardMode.Propagates(input))
            using (ForwardMode.Suspend()) y.Tangent = AvgPoolTangent(input.Tangent!, planes);
        if (OpChecks.Records(input)) y.MarkRequiresGrad(new AvgPoolNode(input, planes));
        return y;
    }

    /// <summary>y = (1 / (kh kw)) sum of the rows of im2col(x) [kh kw, N C T] (the planes' geometry).</summary>
    private static void WindowMean(Tensor x, WindowGeometry planes, Tensor y)
    {
        var backend = x.Backend;
        var cols = Tensor.Empty(new Shape(planes.PatchSize, planes.PatchCount), x.DType, x.Device);
        backend.Im2Col(x, planes, cols);
        backend.SumAxis(cols, 1, planes.PatchSize, planes.PatchCount, y, false);
        backend.Affine(y, 1.0 / planes.PatchSize, 0, y);
    }

    private static Tensor AvgPoolTangent(Tensor tx, WindowGeometry planes)
    {
        var t = Tensor.Empty(new Shape(planes.Batch, 1, planes.OutHeight, planes.OutWidth), tx.DType, tx.Device);
        WindowMean(tx, planes, t);
        return new Tensor(t.Storage, new Shape(tx.Shape[0], tx.Shape[1], planes.OutHeight, planes.OutWidth));
    }

    private sealed class AvgPoolNode(Tensor x, WindowGeometry planes) : Node("AvgPool2d", x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => AvgPoolTangent(t[0]!, planes);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            // dx = col2im(broadcast(dy / (kh kw))): each window spreads its gradient evenly over its elements.
            var backend = dy.Backend;
            var scaled = Tensor.EmptyLike(dy);
            backend.Affine(dy, 1.0 / planes.PatchSize, 0, scaled);
            var dcols = Tensor.Empty(new Shape(planes.PatchSize, planes.PatchCount), dy.DType, dy.Device);
            backend.BroadcastAxis(scaled, 1, planes.PatchSize, planes.PatchCount, dcols, false);
            var dx = ctx.GradTarget(0, out bool acc);
            backend.Col2Im(dcols, planes, dx, acc);
        }
    }
}

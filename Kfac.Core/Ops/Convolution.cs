using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// 2-D convolution (cross-correlation, as in every framework) of NCHW images, lowered to one GEMM:
/// the patches of all images as columns, cols = im2col(x) [C kh kw, N T], and the weight viewed as
/// [Cout, C kh kw]: Y = W cols (+ b per row) is [Cout, N T], channel-major (CNHW), and swapping its two outer
/// axes (contiguous planes of T = Hout Wout) gives the NCHW output. Backward, with dY moved to [Cout, N T]:
/// dW = dY cols^T, db = row sums of dY, dx = col2im(W^T dY). Forward mode: t = W im2col(tx) + tW cols + tb.
/// The columns of cols are exactly KFC's patches (Grosse and Martens 2016, section 2), so the curvature
/// code reuses the same lowering. The input gradient goes through the backend (<see cref="IBackend.ConvolutionInputGradient"/>):
/// W^T dY is as large as cols (80 MB in the ConvNet's second layer) and only feeds col2im, so the CPU builds it a few
/// images at a time in cache; the GPU builds it whole (<see cref="ConvolutionLowering"/>).
/// </summary>
public static class ConvolutionOps
{
    /// <summary>Square kernel, equal strides and paddings.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding));

    /// <summary>input [N, C, H, W], weight [Cout, C, kh, kw], bias [Cout] or null; returns [N, Cout, Hout, Wout]
    /// with Hout = (H + 2 padding.H - kh) / stride.H + 1 (and likewise for W).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding)
    {
        const string op = "Conv2d";
        OpChecks.Compatible(op, input, nameof(input), weight, nameof(weight));
        OpChecks.Rank(op, weight, nameof(weight), 4);
        var g = WindowGeometry.Of(op, input, weight.Shape[2], weight.Shape[3], stride.H, stride.W, padding.H, padding.W);
        if (weight.Shape[1] != g.Channels)
            throw new ShapeMismatchException($"{op}: weight {weight.Shape} expects {weight.Shape[1]} input channels but input {input.Shape} has {g.Channels}", nameof(weight));
        int cout = weight.Shape[0];
        if (bias is not null)
        {
            OpChecks.Compatible(op, input, nameof(input), bias, nameof(bias));
            if (bias.Rank != 1 || bias.Shape[0] != cout)
                throw new ShapeMismatchException(op, nameof(bias), new Shape(cout), bias.Shape, $"one bias per output channel of weight {weight.Shape}");
        }

        var backend = input.Backend;
        int patches = g.PatchCount, k = g.PatchSize, n = g.Batch, t = g.Locations;
        var cols = Tensor.Empty(new Shape(k, patches), input.DType, input.Device);
        backend.Im2Col(input, g, cols);
        var yc = Tensor.Empty(new Shape(cout, patches), input.DType, input.Device);
        backend.Gemm(false, false, cout, patches, k, 1, weight, cols, 0, yc);
        var channelLayout = new BroadcastLayout(1, cout, patches, BroadcastSide.Right);
        if (bias is not null) backend.Binary(BinaryOp.Add, yc, bias, yc, channelLayout, false);
        var y = Tensor.Empty(new Shape(n, cout, g.OutHeight, g.OutWidth), input.DType, input.Device);
        backend.SwapMiddleAxes(yc, 1, cout, n, t, y);

        if (ForwardMode.Propagates(input, weight) || (bias is not null && ForwardMode.Propagates(bias)))
            using (ForwardMode.Suspend()) y.Tangent = Tangent(g, cout, input, weight, cols, input.Tangent, weight.Tangent, bias?.Tangent);

        bool records = OpChecks.Records(input, weight) || (bias is not null && OpChecks.Records(bias));
        if (records)
            y.MarkRequiresGrad(bias is null
                ? new Conv2dNode(g, cout, weight.RequiresGrad ? cols : null, input, weight)
                : new Conv2dNode(g, cout, weight.RequiresGrad ? cols : null, input, weight, bias));
        return y;
    }

    /// <summary>t = W im2col(tx) + tW cols + tb, channel-major, then to NCHW (cols = im2col(x), recomputed if null).</summary>
    private static Tensor Tangent(WindowGeometry g, int cout, Tensor input, Tensor weight, Tensor? cols, Tensor? tx, Tensor? tw, Tensor? tb)
    {
        var backend = input.Backend;
        int patches = g.PatchCount, k = g.PatchSize;
        var tc = Tensor.Empty(new Shape(cout, patches), input.DType, input.Device);
        double beta = 0;
        if (tx is not null)
        {
            var tcols = Tensor.Empty(new Shape(k, patches), input.DType, input.Device);
            backend.Im2Col(tx, g, tcols);
            backend.Gemm(false, false, cout, patches, k, 1, weight, tcols, 0, tc);
            beta = 1;
        }
        if (tw is not null)
        {
            if (cols is null)
            {
                cols = Tensor.Empty(new Shape(k, patches), input.DType, input.Device);
                backend.Im2Col(input, g, cols);
            }
            backend.Gemm(false, false, cout, patches, k, 1, tw, cols, beta, tc);
            beta = 1;
        }
        if (beta == 0) backend.Fill(tc, 0);
        if (tb is not null) backend.Binary(BinaryOp.Add, tc, tb, tc, new BroadcastLayout(1, cout, patches, BroadcastSide.Right), false);
        var ty = Tensor.Empty(new Shape(g.Batch, cout, g.OutHeight, g.OutWidth), input.DType, input.Device);
        backend.SwapMiddleAxes(tc, 1, cout, g.Batch, g.Locations, ty);
        return ty;
    }

    /// <summary>Inputs: x, W and optionally b. <paramref name="cols"/> is im2col(x), kept only when W needs a gradient.</summary>
    private sealed class Conv2dNode(WindowGeometry g, int cout, Tensor? cols, params Tensor[] inputs) : Node("Conv2d", inputs)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) =>
            ConvolutionOps.Tangent(g, cout, Inputs[0], Inputs[1], cols, t[0], t[1], t.Count > 2 ? t[2] : null);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var backend = dy.Backend;
            int patches = g.PatchCount, k = g.PatchSize;
            if (Inputs.Count > 2 && ctx.Needs(2))
            {
                // db_o = sum over n and locations of dY[n, o, :]
                var db = ctx.GradTarget(2, out bool acc);
                backend.SumToMid(dy, g.Batch, cout, g.Locations, db, acc);
            }
            if (!ctx.Needs(0) && !ctx.Needs(1)) return;
            var dyc = Tensor.Empty(new Shape(cout, patches), dy.DType, dy.Device);
            backend.SwapMiddleAxes(dy, 1, g.Batch, cout, g.Locations, dyc);
            if (ctx.Needs(1))
            {
                // dW [Cout, C kh kw] = dY cols^T
                var dw = ctx.GradTarget(1, out bool acc);
                backend.Gemm(false, true, cout, k, patches, 1, dyc, cols!, acc ? 1 : 0, dw);
            }
            if (ctx.Needs(0))
            {
                // dx = col2im(W^T dY), through the backend (the CPU builds W^T dY a few images at a time)
                var dx = ctx.GradTarget(0, out bool acc);
                backend.ConvolutionInputGradient(Inputs[1], g, dyc, dx, acc);
            }
        }
    }
}

using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// 2-D convolution (cross-correlation, as in every framework) of NCHW images, lowered to one GEMM:
/// the patches of all images as rows, cols = im2col(x) [N T, C kh kw], times the weight viewed as
/// [Cout, C kh kw]: y_nhwc = cols W^T (+ b) is [N T, Cout], which one batched transpose turns into the
/// NCHW output [N, Cout, Hout, Wout]. Backward (dY transposed to dY_nhwc [N T, Cout]):
/// dW = dY_nhwc^T cols, db = sum of dY over (n, h, w), dx = col2im(dY_nhwc W). Forward mode:
/// t = im2col(tx) W^T + cols tW^T + tb, transposed the same way. The rows of cols are exactly KFC's
/// patches (Grosse and Martens 2016, section 2), so the curvature code reuses the same lowering.
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
        int rows = g.PatchCount, k = g.PatchSize;
        var cols = Tensor.Empty(new Shape(rows, k), input.DType, input.Device);
        backend.Im2Col(input, g, cols);
        var yRows = Tensor.Empty(new Shape(rows, cout), input.DType, input.Device);
        backend.Gemm(false, true, rows, cout, k, 1, cols, weight, 0, yRows);
        var rowLayout = new BroadcastLayout(rows, cout, 1, BroadcastSide.Right);
        if (bias is not null) backend.Binary(BinaryOp.Add, yRows, bias, yRows, rowLayout, false);
        var y = Tensor.Empty(new Shape(g.Batch, cout, g.OutHeight, g.OutWidth), input.DType, input.Device);
        backend.TransposeBatched(yRows, g.Batch, g.Locations, cout, y);

        if (ForwardMode.Propagates(input, weight) || (bias is not null && ForwardMode.Propagates(bias)))
            using (ForwardMode.Suspend())
            {
                // t = im2col(tx) W^T + cols tW^T + tb, in rows, then to NCHW.
                var t = Tensor.Empty(yRows.Shape, input.DType, input.Device);
                double beta = 0;
                if (input.Tangent is { } tx)
                {
                    var tcols = Tensor.Empty(cols.Shape, input.DType, input.Device);
                    backend.Im2Col(tx, g, tcols);
                    backend.Gemm(false, true, rows, cout, k, 1, tcols, weight, 0, t);
                    beta = 1;
                }
                if (weight.Tangent is { } tw)
                {
                    backend.Gemm(false, true, rows, cout, k, 1, cols, tw, beta, t);
                    beta = 1;
                }
                if (beta == 0) backend.Fill(t, 0);
                if (bias?.Tangent is { } tb) backend.Binary(BinaryOp.Add, t, tb, t, rowLayout, false);
                var ty = Tensor.EmptyLike(y);
                backend.TransposeBatched(t, g.Batch, g.Locations, cout, ty);
                y.Tangent = ty;
            }

        bool records = OpChecks.Records(input, weight) || (bias is not null && OpChecks.Records(bias));
        if (records)
            y.MarkRequiresGrad(bias is null
                ? new Conv2dNode(g, cout, weight.RequiresGrad ? cols : null, input, weight)
                : new Conv2dNode(g, cout, weight.RequiresGrad ? cols : null, input, weight, bias));
        return y;
    }

    /// <summary>Inputs: x, W and optionally b. <paramref name="cols"/> is im2col(x), kept only when W needs a gradient.</summary>
    private sealed class Conv2dNode(WindowGeometry g, int cout, Tensor? cols, params Tensor[] inputs) : Node("Conv2d", inputs)
    {
        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var backend = dy.Backend;
            int rows = g.PatchCount, k = g.PatchSize;
            bool needsBias = Inputs.Count > 2 && ctx.Needs(2);
            if (needsBias)
            {
                // db_o = sum over n and locations of dY[n, o, :]
                var db = ctx.GradTarget(2, out bool acc);
                backend.SumToMid(dy, g.Batch, cout, g.Locations, db, acc);
            }
            if (!ctx.Needs(0) && !ctx.Needs(1)) return;
            var dyRows = Tensor.Empty(new Shape(rows, cout), dy.DType, dy.Device);
            backend.TransposeBatched(dy, g.Batch, cout, g.Locations, dyRows);
            if (ctx.Needs(1))
            {
                // dW [Cout, C kh kw] = dY_rows^T cols
                var dw = ctx.GradTarget(1, out bool acc);
                backend.Gemm(true, false, cout, k, rows, 1, dyRows, cols!, acc ? 1 : 0, dw);
            }
            if (ctx.Needs(0))
            {
                // dx = col2im(dY_rows W)
                var dcols = Tensor.Empty(new Shape(rows, k), dy.DType, dy.Device);
                backend.Gemm(false, false, rows, k, cout, 1, dyRows, Inputs[1], 0, dcols);
                var dx = ctx.GradTarget(0, out bool acc);
                backend.Col2Im(dcols, g, dx, acc);
            }
        }
    }
}

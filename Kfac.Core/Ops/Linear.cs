using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// The affine map of a dense layer, y = x W^T + b (x [m, k], W [n, k], b [n]), as one op: the GEMM writes x W^T and the
/// bias rows are added in place, so the layer allocates no second [m, n] tensor and writes no fresh one (as the MatMul
/// and broadcast Add it replaces did), with the same arithmetic in the same order: bit for bit their result.
///   forward   y = x W^T + 1 b^T
///   JVP       dy = 1 db^T + dx W^T + x dW^T
///   backward  dx = dy W,  dW = dy^T x,  db = column sums of dy
/// </summary>
public static class LinearOp
{
    /// <summary>x W^T + b for x [m, k], <paramref name="weight"/> [n, k] and <paramref name="bias"/> [n]; throws
    /// <see cref="ShapeMismatchException"/> naming the argument whose shape does not fit.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor bias)
    {
        OpChecks.Compatible("Linear", x, nameof(x), weight, nameof(weight));
        OpChecks.Compatible("Linear", x, nameof(x), bias, nameof(bias));
        OpChecks.Rank("Linear", x, nameof(x), 2);
        OpChecks.Rank("Linear", weight, nameof(weight), 2);
        int m = x.Shape[0], k = x.Shape[1], n = weight.Shape[0];
        if (weight.Shape[1] != k)
            throw new ShapeMismatchException($"Linear: x is {x.Shape} but weight is {weight.Shape}; weight must be [n, {k}]", nameof(weight));
        if (bias.Rank != 1 || bias.Shape[0] != n)
            throw new ShapeMismatchException($"Linear: bias is {bias.Shape} but weight is {weight.Shape}; bias must be [{n}]", nameof(bias));

        var y = Tensor.Empty(new Shape(m, n), x.DType, x.Device);
        x.Backend.Gemm(false, true, m, n, k, 1, x, weight, 0, y);     // x W^T
        AddRows(y, bias, m, n);                                        // + b on every row, in place

        if (ForwardMode.Propagates(x, weight) || ForwardMode.Propagates(bias))
            using (ForwardMode.Suspend()) y.Tangent = Tangent(x, weight, x.Tangent, weight.Tangent, bias.Tangent, m, n, k);

        if (OpChecks.Records(x, weight) || OpChecks.Records(bias)) y.MarkRequiresGrad(new LinearNode(x, weight, bias, m, n, k));
        return y;
    }

    /// <summary>y[r, :] += b for every row r, in place.</summary>
    private static void AddRows(Tensor y, Tensor b, int m, int n) =>
        y.Backend.Binary(BinaryOp.Add, y, b, y, new BroadcastLayout(m, n, 1, BroadcastSide.Right), false);

    /// <summary>dy = dx W^T + x dW^T + 1 db^T (null tangents are zero), in the order the MatMul and Add it replaces used.</summary>
    private static Tensor Tangent(Tensor x, Tensor weight, Tensor? tx, Tensor? tw, Tensor? tb, int m, int n, int k)
    {
        var t = Tensor.Empty(new Shape(m, n), x.DType, x.Device);
        double beta = 0;
        if (tx is not null) { x.Backend.Gemm(false, true, m, n, k, 1, tx, weight, 0, t); beta = 1; }
        if (tw is not null) { x.Backend.Gemm(false, true, m, n, k, 1, x, tw, beta, t); beta = 1; }
        if (beta == 0) x.Backend.Fill(t, 0);
        if (tb is not null) AddRows(t, tb, m, n);
        return t;
    }

    private sealed class LinearNode(Tensor x, Tensor weight, Tensor bias, int m, int n, int k) : Node("Linear", x, weight, bias)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => LinearOp.Tangent(x, weight, t[0], t[1], t[2], m, n, k);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var backend = dy.Backend;
            if (ctx.Needs(0))
            {
                var dx = ctx.GradTarget(0, out bool acc);
                backend.Gemm(false, false, m, k, n, 1, dy, weight, acc ? 1 : 0, dx);   // dx = dy W
            }
            if (ctx.Needs(1))
            {
                var dw = ctx.GradTarget(1, out bool acc);
                backend.Gemm(true, false, n, k, m, 1, dy, x, acc ? 1 : 0, dw);         // dW = dy^T x
            }
            if (ctx.Needs(2))
            {
                var db = ctx.GradTarget(2, out bool acc);
                backend.SumToMid(dy, m, n, 1, db, acc);                                // db = sum over rows of dy
            }
        }
    }
}

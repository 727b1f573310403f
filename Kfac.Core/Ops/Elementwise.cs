using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// c = a op b for op in {+, -, *, /} with broadcasting of one operand (see <see cref="Broadcasting"/>),
/// and the scalar affine map y = s x + t. Backward of a broadcast operand sums over the broadcast axes.
/// </summary>
public static class ElementwiseOps
{
    /// <summary>c = a + b elementwise; one operand may broadcast (row, column, per-channel or scalar).</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryOp.Add, "Add", a, b);

    /// <summary>c = a - b elementwise, with the same broadcasting as <see cref="Add"/>.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryOp.Sub, "Sub", a, b);

    /// <summary>c = a * b elementwise (Hadamard), with the same broadcasting as <see cref="Add"/>.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary(BinaryOp.Mul, "Mul", a, b);

    /// <summary>c = a / b elementwise, with the same broadcasting as <see cref="Add"/>.</summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary(BinaryOp.Div, "Div", a, b);

    private static Tensor Binary(BinaryOp op, string name, Tensor a, Tensor b)
    {
        OpChecks.Compatible(name, a, nameof(a), b, nameof(b));
        var (layout, shape) = Broadcasting.Resolve(name, a, b);
        var c = Tensor.Empty(shape, a.DType, a.Device);
        a.Backend.Binary(op, a, b, c, layout, accumulate: false);
        if (ForwardMode.Propagates(a, b))
            using (ForwardMode.Suspend()) c.Tangent = Tangent(op, a, b, c, a.Tangent, b.Tangent, layout);
        if (OpChecks.Records(a, b)) c.MarkRequiresGrad(new BinaryNode(name, op, a, b, c, layout));
        return c;
    }

    /// <summary>The tangent of c = a op b, with ta, tb the inputs' tangents (null means zero).</summary>
    private static Tensor Tangent(BinaryOp op, Tensor a, Tensor b, Tensor c, Tensor? ta, Tensor? tb, BroadcastLayout l)
    {
        var backend = c.Backend;
        var t = Tensor.Empty(c.Shape, c.DType, c.Device);
        backend.Fill(t, 0);
        switch (op)
        {
            case BinaryOp.Add:
            case BinaryOp.Sub:
                // t = ta (+/-) tb, each broadcast as its primal was.
                if (ta is not null) AddBroadcast(t, ta, l, isLeft: true, 1);
                if (tb is not null) AddBroadcast(t, tb, l, isLeft: false, op == BinaryOp.Add ? 1 : -1);
                break;
            case BinaryOp.Mul:
                // t = ta b + a tb
                if (ta is not null) backend.Binary(BinaryOp.Mul, ta, b, t, l, accumulate: true);
                if (tb is not null) backend.Binary(BinaryOp.Mul, a, tb, t, l, accumulate: true);
                break;
            case BinaryOp.Div:
                // t = (ta - c tb) / b
                if (ta is not null) AddBroadcast(t, ta, l, isLeft: true, 1);
                if (tb is not null)
                {
                    var ctb = Tensor.Empty(c.Shape, c.DType, c.Device);
                    backend.Binary(BinaryOp.Mul, c, tb, ctb, l.Side == BroadcastSide.Right ? l : l with { Side = BroadcastSide.None }, false);
                    backend.Axpby(-1, ctb, 1, t);
                }
                backend.Binary(BinaryOp.Div, t, b, t, l.Side == BroadcastSide.Right ? l : l with { Side = BroadcastSide.None }, false);
                break;
        }
        return t;
    }

    /// <summary>t += scale * x, where x is the left or right operand of layout l (broadcast if it is the small one).</summary>
    private static void AddBroadcast(Tensor t, Tensor x, BroadcastLayout l, bool isLeft, double scale)
    {
        bool small = isLeft ? l.Side == BroadcastSide.Left : l.Side == BroadcastSide.Right;
        if (!small)
        {
            t.Backend.Axpby(scale, x, 1, t);
            return;
        }
        var xs = x;
        if (scale != 1)
        {
            xs = Tensor.Empty(x.Shape, x.DType, x.Device);
            t.Backend.Affine(x, scale, 0, xs);
        }
        t.Backend.Binary(BinaryOp.Add, t, xs, t, l with { Side = BroadcastSide.Right }, false);
    }

    private sealed class BinaryNode(string name, BinaryOp op, Tensor a, Tensor b, Tensor c, BroadcastLayout l)
        : Node(name, a, b)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => ElementwiseOps.Tangent(op, a, b, c, t[0], t[1], l);

        protected override void Backward(Tensor dc, BackwardContext ctx)
        {
            var backend = dc.Backend;
            // dA = dC exactly (Add, Sub, a not broadcast): a's gradient is dC itself, no copy. dC is only read below,
            // so a's later consumers may add into it.
            bool passedThrough = ctx.Needs(0) && op is BinaryOp.Add or BinaryOp.Sub && l.Side != BroadcastSide.Left && ctx.TryPassThrough(0, dc);
            if (ctx.Needs(0) && !passedThrough)
            {
                // dA = dC (Add, Sub), dC * b (Mul), dC / b (Div); reduced to a's shape if a was broadcast.
                var target = ctx.GradTarget(0, out bool acc);
                if (op is BinaryOp.Add or BinaryOp.Sub) Reduce(dc, target, l.Side == BroadcastSide.Left, 1, acc);
                else
                {
                    var rightLayout = l.Side == BroadcastSide.Right ? l : l with { Side = BroadcastSide.None };
                    if (l.Side == BroadcastSide.Left)
                    {
                        var tmp = Tensor.Empty(dc.Shape, dc.DType, dc.Device);
                        backend.Binary(op, dc, b, tmp, rightLayout, false);
                        backend.SumToMid(tmp, l.Outer, l.Mid, l.Inner, target, acc);
                    }
                    else backend.Binary(op, dc, b, target, rightLayout, acc);
                }
            }
            if (ctx.Needs(1))
            {
                var target = ctx.GradTarget(1, out bool acc);
                bool bSmall = l.Side == BroadcastSide.Right;
                switch (op)
                {
                    case BinaryOp.Add: Reduce(dc, target, bSmall, 1, acc); break;
                    case BinaryOp.Sub: Reduce(dc, target, bSmall, -1, acc); break;
                    case BinaryOp.Mul:
                        {
                            // dB = dC * a
                            var leftLayout = l.Side == BroadcastSide.Left ? l : l with { Side = BroadcastSide.None };
                            if (bSmall)
                            {
                                var tmp = Tensor.Empty(dc.Shape, dc.DType, dc.Device);
                                backend.Binary(BinaryOp.Mul, a, dc, tmp, leftLayout, false);
                                backend.SumToMid(tmp, l.Outer, l.Mid, l.Inner, target, acc);
                            }
                            else backend.Binary(BinaryOp.Mul, a, dc, target, leftLayout, acc);
                            break;
                        }
                    case BinaryOp.Div:
                        {
                            // dB = -dC * c / b (c = a / b has the full shape)
                            var tmp = Tensor.Empty(dc.Shape, dc.DType, dc.Device);
                            backend.Binary(BinaryOp.Mul, dc, c, tmp, new BroadcastLayout(1, dc.Numel, 1, BroadcastSide.None), false);
                            backend.Binary(BinaryOp.Div, tmp, b, tmp, bSmall ? l : l with { Side = BroadcastSide.None }, false);
                            if (bSmall)
                            {
                                backend.Affine(tmp, -1, 0, tmp);
                                backend.SumToMid(tmp, l.Outer, l.Mid, l.Inner, target, acc);
                            }
                            else backend.Axpby(-1, tmp, acc ? 1 : 0, target);
                            break;
                        }
                }
            }
        }

        /// <summary>target (+)= scale * dc, summed down to the small operand's shape if it was broadcast.</summary>
        private void Reduce(Tensor dc, Tensor target, bool wasBroadcast, double scale, bool acc)
        {
            var backend = dc.Backend;
            if (!wasBroadcast)
            {
                backend.Axpby(scale, dc, acc ? 1 : 0, target);
                return;
            }
            if (scale == 1) backend.SumToMid(dc, l.Outer, l.Mid, l.Inner, target, acc);
            else
            {
                var tmp = Tensor.Empty(target.Shape, target.DType, target.Device);
                backend.SumToMid(dc, l.Outer, l.Mid, l.Inner, tmp, false);
                backend.Axpby(scale, tmp, acc ? 1 : 0, target);
            }
        }
    }

    /// <summary>y = scale * x + shift (scalar constants).</summary>
    public static Tensor Affine(Tensor x, double scale, double shift)
    {
        OpChecks.NotNull(x, "Affine", nameof(x));
        var y = Tensor.EmptyLike(x);
        x.Backend.Affine(x, scale, shift, y);
        if (ForwardMode.Propagates(x))
            using (ForwardMode.Suspend()) y.Tangent = AffineTangent(x.Tangent!, scale);
        if (OpChecks.Records(x)) y.MarkRequiresGrad(new AffineNode(x, scale));
        return y;
    }

    private static Tensor AffineTangent(Tensor tx, double scale)
    {
        var t = Tensor.EmptyLike(tx);
        tx.Backend.Affine(tx, scale, 0, t);
        return t;
    }

    private sealed class AffineNode(Tensor x, double scale) : Node("Affine", x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => AffineTangent(t[0]!, scale);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            dy.Backend.Axpby(scale, dy, acc ? 1 : 0, dx);
        }
    }
}

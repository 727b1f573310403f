using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// Pointwise y = f(x). The derivative rule is shared by reverse mode (dx = dy f'(x)) and forward mode
/// (ty = f'(x) tx): both are the backend's UnaryDerivativeProduct.
/// </summary>
public static class UnaryOps
{
    /// <summary>y = -x.</summary>
    public static Tensor Neg(Tensor x) => Apply(UnaryOp.Neg, x);

    /// <summary>y = exp(x); derivative y.</summary>
    public static Tensor Exp(Tensor x) => Apply(UnaryOp.Exp, x);

    /// <summary>y = log(x); derivative 1/x.</summary>
    public static Tensor Log(Tensor x) => Apply(UnaryOp.Log, x);

    /// <summary>y = tanh(x); derivative 1 - y^2.</summary>
    public static Tensor Tanh(Tensor x) => Apply(UnaryOp.Tanh, x);

    /// <summary>The logistic function 1 / (1 + exp(-x)).</summary>
    public static Tensor Sigmoid(Tensor x) => Apply(UnaryOp.Sigmoid, x);

    /// <summary>y = max(x, 0); derivative 1 where x &gt; 0, else 0.</summary>
    public static Tensor Relu(Tensor x) => Apply(UnaryOp.Relu, x);

    /// <summary>log(1 + exp(x)), stable for large |x|.</summary>
    public static Tensor Softplus(Tensor x) => Apply(UnaryOp.Softplus, x);

    /// <summary>y = x^2; derivative 2x.</summary>
    public static Tensor Square(Tensor x) => Apply(UnaryOp.Square, x);

    /// <summary>y = sqrt(x); derivative 1 / (2y).</summary>
    public static Tensor Sqrt(Tensor x) => Apply(UnaryOp.Sqrt, x);

    /// <summary>y = f(x) for the pointwise function <paramref name="op"/>, propagating the forward-mode tangent and recording the reverse-mode node when needed.</summary>
    public static Tensor Apply(UnaryOp op, Tensor x)
    {
        OpChecks.NotNull(x, op.ToString(), nameof(x));
        var y = Tensor.EmptyLike(x);
        x.Backend.Unary(op, x, y);
        if (ForwardMode.Propagates(x))
            using (ForwardMode.Suspend()) y.Tangent = Tangent(op, x, y, x.Tangent!);
        if (OpChecks.Records(x)) y.MarkRequiresGrad(new UnaryNode(op, x, y));
        return y;
    }

    /// <summary>ty = f'(x) tx.</summary>
    private static Tensor Tangent(UnaryOp op, Tensor x, Tensor y, Tensor tx)
    {
        var t = Tensor.EmptyLike(x);
        x.Backend.UnaryDerivativeProduct(op, x, y, tx, t, accumulate: false);
        return t;
    }

    private sealed class UnaryNode(UnaryOp op, Tensor x, Tensor y) : Node(op.ToString(), x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => UnaryOps.Tangent(op, x, y, t[0]!);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            dy.Backend.UnaryDerivativeProduct(op, x, y, dy, dx, acc);
        }
    }
}

using Kfac.Ops;

namespace Kfac.Tensors;

/// <summary>The ops as tensor methods and operators (each forwards to its op family in Kfac.Ops).</summary>
public sealed partial class Tensor
{
    /// <summary>op(this) op(other) for 2-D tensors (see <see cref="MatMulOp.MatMul"/>).</summary>
    public Tensor MatMul(Tensor other, bool transSelf = false, bool transOther = false) => MatMulOp.MatMul(this, other, transSelf, transOther);

    /// <summary>exp(x) elementwise.</summary>
    public Tensor Exp() => UnaryOps.Exp(this);

    /// <summary>Natural log elementwise.</summary>
    public Tensor Log() => UnaryOps.Log(this);

    /// <summary>tanh(x) elementwise.</summary>
    public Tensor Tanh() => UnaryOps.Tanh(this);

    /// <summary>The logistic sigmoid 1 / (1 + exp(-x)) elementwise.</summary>
    public Tensor Sigmoid() => UnaryOps.Sigmoid(this);

    /// <summary>max(x, 0) elementwise.</summary>
    public Tensor Relu() => UnaryOps.Relu(this);

    /// <summary>log(1 + exp(x)) elementwise, computed stably.</summary>
    public Tensor Softplus() => UnaryOps.Softplus(this);

    /// <summary>x^2 elementwise.</summary>
    public Tensor Square() => UnaryOps.Square(this);

    /// <summary>sqrt(x) elementwise.</summary>
    public Tensor Sqrt() => UnaryOps.Sqrt(this);

    /// <summary>Sum of all elements, as a scalar (rank-0) tensor.</summary>
    public Tensor Sum() => Reductions.Sum(this);

    /// <summary>Sum over <paramref name="axis"/>, removing it (or keeping it as 1 when <paramref name="keepDim"/>).</summary>
    public Tensor Sum(int axis, bool keepDim = false) => Reductions.Sum(this, axis, keepDim);

    /// <summary>Mean of all elements, as a scalar (rank-0) tensor.</summary>
    public Tensor Mean() => Reductions.Mean(this);

    /// <summary>Mean over <paramref name="axis"/>, removing it (or keeping it as 1 when <paramref name="keepDim"/>).</summary>
    public Tensor Mean(int axis, bool keepDim = false) => Reductions.Mean(this, axis, keepDim);

    /// <summary>A view with the same elements and a new shape; one dimension may be -1 (inferred).</summary>
    public Tensor Reshape(params int[] shape) => ShapeOps.Reshape(this, shape);

    /// <summary>Flattens all but the first axis: [n, ...] to [n, prod(...)].</summary>
    public Tensor Flatten() => ShapeOps.Reshape(this, Rank == 0 ? 1 : Shape[0], -1);

    /// <summary>The transpose of a 2-D tensor (a copy).</summary>
    public Tensor T() => ShapeOps.Transpose(this);

    /// <summary>x - logsumexp(x) along the last axis (log-probabilities of a softmax).</summary>
    public Tensor LogSoftmax() => SoftmaxOps.LogSoftmax(this);

    /// <summary>log sum exp(x) along the last axis, computed stably; the axis is removed or kept as 1.</summary>
    public Tensor LogSumExp(bool keepDim = false) => SoftmaxOps.LogSumExp(this, keepDim);

    /// <summary>a + b elementwise, one operand may broadcast.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => ElementwiseOps.Add(a, b);

    /// <summary>a - b elementwise, one operand may broadcast.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => ElementwiseOps.Sub(a, b);

    /// <summary>a * b elementwise (Hadamard), one operand may broadcast; use MatMul for the matrix product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => ElementwiseOps.Mul(a, b);

    /// <summary>a / b elementwise, one operand may broadcast.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => ElementwiseOps.Div(a, b);

    /// <summary>-a elementwise.</summary>
    public static Tensor operator -(Tensor a) => UnaryOps.Neg(a);

    /// <summary>a + s for every element.</summary>
    public static Tensor operator +(Tensor a, double s) => ElementwiseOps.Affine(a, 1, s);

    /// <summary>s + a for every element.</summary>
    public static Tensor operator +(double s, Tensor a) => ElementwiseOps.Affine(a, 1, s);

    /// <summary>a - s for every element.</summary>
    public static Tensor operator -(Tensor a, double s) => ElementwiseOps.Affine(a, 1, -s);

    /// <summary>s - a for every element.</summary>
    public static Tensor operator -(double s, Tensor a) => ElementwiseOps.Affine(a, -1, s);

    /// <summary>a * s for every element.</summary>
    public static Tensor operator *(Tensor a, double s) => ElementwiseOps.Affine(a, s, 0);

    /// <summary>s * a for every element.</summary>
    public static Tensor operator *(double s, Tensor a) => ElementwiseOps.Affine(a, s, 0);

    /// <summary>a / s for every element (computed as a * (1/s)).</summary>
    public static Tensor operator /(Tensor a, double s) => ElementwiseOps.Affine(a, 1 / s, 0);
}

using Kfac.Ops;

namespace Kfac.Tensors;

/// <summary>The ops as tensor methods and operators (each forwards to its op family in Kfac.Ops).</summary>
public sealed partial class Tensor
{
    public Tensor MatMul(Tensor other, bool transSelf = false, bool transOther = false) => MatMulOp.MatMul(this, other, transSelf, transOther);

    public Tensor Exp() => UnaryOps.Exp(this);

    public Tensor Log() => UnaryOps.Log(this);

    public Tensor Tanh() => UnaryOps.Tanh(this);

    public Tensor Sigmoid() => UnaryOps.Sigmoid(this);

    public Tensor Relu() => UnaryOps.Relu(this);

    public Tensor Softplus() => UnaryOps.Softplus(this);

    public Tensor Square() => UnaryOps.Square(this);

    public Tensor Sqrt() => UnaryOps.Sqrt(this);

    public Tensor Sum() => Reductions.Sum(this);

    public Tensor Sum(int axis, bool keepDim = false) => Reductions.Sum(this, axis, keepDim);

    public Tensor Mean() => Reductions.Mean(this);

    public Tensor Mean(int axis, bool keepDim = false) => Reductions.Mean(this, axis, keepDim);

    public Tensor Reshape(params int[] shape) => ShapeOps.Reshape(this, shape);

    /// <summary>Flattens all but the first axis: [n, ...] to [n, prod(...)].</summary>
    public Tensor Flatten() => ShapeOps.Reshape(this, Rank == 0 ? 1 : Shape[0], -1);

    public Tensor T() => ShapeOps.Transpose(this);

    public Tensor LogSoftmax() => SoftmaxOps.LogSoftmax(this);

    public Tensor LogSumExp(bool keepDim = false) => SoftmaxOps.LogSumExp(this, keepDim);

    public static Tensor operator +(Tensor a, Tensor b) => ElementwiseOps.Add(a, b);

    public static Tensor operator -(Tensor a, Tensor b) => ElementwiseOps.Sub(a, b);

    public static Tensor operator *(Tensor a, Tensor b) => ElementwiseOps.Mul(a, b);

    public static Tensor operator /(Tensor a, Tensor b) => ElementwiseOps.Div(a, b);

    public static Tensor operator -(Tensor a) => UnaryOps.Neg(a);

    public static Tensor operator +(Tensor a, double s) => ElementwiseOps.Affine(a, 1, s);

    public static Tensor operator +(double s, Tensor a) => ElementwiseOps.Affine(a, 1, s);

    public static Tensor operator -(Tensor a, double s) => ElementwiseOps.Affine(a, 1, -s);

    public static Tensor operator -(double s, Tensor a) => ElementwiseOps.Affine(a, -1, s);

    public static Tensor operator *(Tensor a, double s) => ElementwiseOps.Affine(a, s, 0);

    public static Tensor operator *(double s, Tensor a) => ElementwiseOps.Affine(a, s, 0);

    public static Tensor operator /(Tensor a, double s) => ElementwiseOps.Affine(a, 1 / s, 0);
}

using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>Sum and mean over one axis or over everything. Backward broadcasts the gradient back.</summary>
public static class Reductions
{
    /// <summary>Sum over <paramref name="axis"/> (negative counts from the end); the axis is removed, or kept with size 1 when <paramref name="keepDim"/>.</summary>
    public static Tensor Sum(Tensor x, int axis, bool keepDim = false) => ReduceAxis("Sum", x, axis, keepDim, 1);

    /// <summary>Mean over <paramref name="axis"/> (negative counts from the end); throws if that axis is empty.</summary>
    public static Tensor Mean(Tensor x, int axis, bool keepDim = false)
    {
        OpChecks.NotNull(x, "Mean", nameof(x));
        int dim = x.Shape[x.Shape.Axis(axis)];
        if (dim == 0) throw new ArgumentException($"Mean over axis {axis} of shape {x.Shape}, which is empty", nameof(axis));
        return ReduceAxis("Mean", x, axis, keepDim, 1.0 / dim);
    }

    /// <summary>Sum of all elements, as a scalar (rank-0) tensor.</summary>
    public static Tensor Sum(Tensor x) => ReduceAll("SumAll", x, 1);

    /// <summary>Mean of all elements, as a scalar (rank-0) tensor.</summary>
    public static Tensor Mean(Tensor x)
    {
        OpChecks.NotNull(x, "MeanAll", nameof(x));
        if (x.Numel == 0) throw new ArgumentException($"Mean of an empty tensor (shape {x.Shape})", nameof(x));
        return ReduceAll("MeanAll", x, 1.0 / x.Numel);
    }

    private static Tensor ReduceAll(string name, Tensor x, double scale)
    {
        OpChecks.NotNull(x, name, nameof(x));
        var flat = new AxisView(1, x.Numel, 1);
        return Reduce(name, x, flat, Shape.Scalar, scale);
    }

    private static Tensor ReduceAxis(string name, Tensor x, int axis, bool keepDim, double scale)
    {
        OpChecks.NotNull(x, name, nameof(x));
        int ax = x.Shape.Axis(axis);
        var view = new AxisView(x.Shape.Product(0, ax), x.Shape[ax], x.Shape.Product(ax + 1, x.Rank));
        var dims = new List<int>(x.Shape);
        if (keepDim) dims[ax] = 1;
        else dims.RemoveAt(ax);
        return Reduce(name, x, view, new Shape([.. dims]), scale);
    }

    private readonly record struct AxisView(int Outer, int Dim, int Inner);

    private static Tensor Reduce(string name, Tensor x, AxisView v, Shape shape, double scale)
    {
        var y = Tensor.Empty(shape, x.DType, x.Device);
        x.Backend.SumAxis(x, v.Outer, v.Dim, v.Inner, y, false);
        if (scale != 1) x.Backend.Affine(y, scale, 0, y);
        if (ForwardMode.Propagates(x))
            using (ForwardMode.Suspend()) y.Tangent = Tangent(x.Tangent!, v, shape, scale);
        if (OpChecks.Records(x)) y.MarkRequiresGrad(new ReduceNode(name, x, v, shape, scale));
        return y;
    }

    private static Tensor Tangent(Tensor tx, AxisView v, Shape shape, double scale)
    {
        var t = Tensor.Empty(shape, tx.DType, tx.Device);
        tx.Backend.SumAxis(tx, v.Outer, v.Dim, v.Inner, t, false);
        if (scale != 1) tx.Backend.Affine(t, scale, 0, t);
        return t;
    }

    private sealed class ReduceNode(string name, Tensor x, AxisView v, Shape shape, double scale) : Node(name, x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => Reductions.Tangent(t[0]!, v, shape, scale);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            var g = dy;
            if (scale != 1)
            {
                g = Tensor.EmptyLike(dy);
                dy.Backend.Affine(dy, scale, 0, g);
            }
            dy.Backend.BroadcastAxis(g, v.Outer, v.Dim, v.Inner, dx, acc);
        }
    }
}

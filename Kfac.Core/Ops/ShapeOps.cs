using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>Reshape (a view: same storage) and 2-D transpose (a copy).</summary>
public static class ShapeOps
{
    /// <summary>Same elements, new shape; one dimension may be -1 (inferred).</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        OpChecks.NotNull(x, "Reshape", nameof(x));
        var target = Infer(x, shape);
        var y = new Tensor(x.Storage, target);
        if (ForwardMode.Propagates(x))
            using (ForwardMode.Suspend()) y.Tangent = new Tensor(x.Tangent!.Storage, target);
        if (OpChecks.Records(x)) y.MarkRequiresGrad(new ReshapeNode(x, target));
        return y;
    }

    private static Shape Infer(Tensor x, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int infer = -1, known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: at most one -1 in [{string.Join(", ", shape)}]", nameof(shape));
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"Reshape: negative dimension in [{string.Join(", ", shape)}]", nameof(shape));
            else known *= shape[i];
        }
        var dims = (int[])shape.Clone();
        if (infer >= 0)
        {
            if (known == 0 || x.Numel % known != 0)
                throw new ShapeMismatchException($"Reshape: cannot reshape {x.Shape} ({x.Numel} elements) to [{string.Join(", ", shape)}]", nameof(shape));
            dims[infer] = x.Numel / known;
        }
        var target = new Shape(dims);
        if (target.Numel != x.Numel)
            throw new ShapeMismatchException($"Reshape: cannot reshape {x.Shape} ({x.Numel} elements) to {target} ({target.Numel} elements)", nameof(shape));
        return target;
    }

    private sealed class ReshapeNode(Tensor x, Shape target) : Node("Reshape", x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => new(t[0]!.Storage, target);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            dy.Backend.Axpby(1, dy, acc ? 1 : 0, dx);
        }
    }

    /// <summary>The transpose of a 2-D tensor (materialised; MatMul takes transpose flags instead).</summary>
    public static Tensor Transpose(Tensor x)
    {
        OpChecks.NotNull(x, "Transpose", nameof(x));
        OpChecks.Rank("Transpose", x, nameof(x), 2);
        int r = x.Shape[0], c = x.Shape[1];
        var y = Tensor.Empty(new Shape(c, r), x.DType, x.Device);
        x.Backend.Transpose(x, r, c, y);
        if (ForwardMode.Propagates(x))
            using (ForwardMode.Suspend()) y.Tangent = TransposeTangent(x.Tangent!, r, c);
        if (OpChecks.Records(x)) y.MarkRequiresGrad(new TransposeNode(x, r, c));
        return y;
    }

    private static Tensor TransposeTangent(Tensor tx, int rows, int cols)
    {
        var t = Tensor.Empty(new Shape(cols, rows), tx.DType, tx.Device);
        tx.Backend.Transpose(tx, rows, cols, t);
        return t;
    }

    private sealed class TransposeNode(Tensor x, int rows, int cols) : Node("Transpose", x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => TransposeTangent(t[0]!, rows, cols);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            if (!acc)
            {
                dy.Backend.Transpose(dy, cols, rows, dx);
                return;
            }
            var tmp = Tensor.EmptyLike(dx);
            dy.Backend.Transpose(dy, cols, rows, tmp);
            dy.Backend.Axpby(1, tmp, 1, dx);
        }
    }
}

using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>Log-softmax and log-sum-exp over the last axis (the losses' building blocks).</summary>
public static class SoftmaxOps
{
    /// <summary>y = x - logsumexp(x) along the last axis.</summary>
    public static Tensor LogSoftmax(Tensor x)
    {
        OpChecks.NotNull(x, "LogSoftmax", nameof(x));
        if (x.Rank == 0) throw new ShapeMismatchException("LogSoftmax: argument 'x' must have rank >= 1, got a scalar", nameof(x));
        int cols = x.Shape[-1], rows = x.Numel / Math.Max(cols, 1);
        var y = Tensor.EmptyLike(x);
        x.Backend.LogSoftmax(x, rows, cols, y);
        if (ForwardMode.Propagates(x))
            using (ForwardMode.Suspend()) y.Tangent = LogSoftmaxTangent(y, x.Tangent!, rows, cols);
        if (OpChecks.Records(x)) y.MarkRequiresGrad(new LogSoftmaxNode(x, y, rows, cols));
        return y;
    }

    private static Tensor LogSoftmaxTangent(Tensor y, Tensor tx, int rows, int cols)
    {
        var t = Tensor.EmptyLike(tx);
        tx.Backend.LogSoftmaxJvp(y, tx, rows, cols, t);
        return t;
    }

    private sealed class LogSoftmaxNode(Tensor x, Tensor y, int rows, int cols) : Node("LogSoftmax", x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => LogSoftmaxTangent(y, t[0]!, rows, cols);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            dy.Backend.LogSoftmaxBackward(y, dy, rows, cols, dx, acc);
        }
    }

    /// <summary>y = log sum exp(x) along the last axis (that axis is removed, or kept as 1).</summary>
    public static Tensor LogSumExp(Tensor x, bool keepDim = false)
    {
        OpChecks.NotNull(x, "LogSumExp", nameof(x));
        if (x.Rank == 0) throw new ShapeMismatchException("LogSumExp: argument 'x' must have rank >= 1, got a scalar", nameof(x));
        int cols = x.Shape[-1], rows = x.Numel / Math.Max(cols, 1);
        var dims = x.Shape.ToArray();
        var shape = keepDim ? x.Shape.With(-1, 1) : new Shape(dims[..^1]);
        var y = Tensor.Empty(shape, x.DType, x.Device);
        x.Backend.LogSumExp(x, rows, cols, y);
        if (ForwardMode.Propagates(x))
            using (ForwardMode.Suspend()) y.Tangent = LogSumExpTangent(x, y, x.Tangent!, rows, cols);
        if (OpChecks.Records(x)) y.MarkRequiresGrad(new LogSumExpNode(x, y, rows, cols));
        return y;
    }

    private static Tensor LogSumExpTangent(Tensor x, Tensor y, Tensor tx, int rows, int cols)
    {
        var t = Tensor.EmptyLike(y);
        x.Backend.LogSumExpJvp(x, y, tx, rows, cols, t);
        return t;
    }

    private sealed class LogSumExpNode(Tensor x, Tensor y, int rows, int cols) : Node("LogSumExp", x)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => LogSumExpTangent(x, y, t[0]!, rows, cols);

        protected override void Backward(Tensor dy, BackwardContext ctx)
        {
            var dx = ctx.GradTarget(0, out bool acc);
            dy.Backend.LogSumExpBackward(x, y, dy, rows, cols, dx, acc);
        }
    }

    /// <summary>Rows of one-hot vectors: result[i, labels[i]] = 1 (a constant; no gradient).</summary>
    public static Tensor OneHot(ReadOnlySpan<int> labels, int classes, DType dtype = DType.Float32, Device? device = null)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), $"OneHot: classes must be positive, got {classes}");
        var data = new double[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), $"OneHot: example {i} has label {labels[i]}, outside [0, {classes})");
            data[i * classes + labels[i]] = 1;
        }
        return Tensor.FromDoubles(data, new Shape(labels.Length, classes), dtype, device);
    }
}

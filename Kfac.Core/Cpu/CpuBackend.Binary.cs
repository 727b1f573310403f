using System.Numerics;
using System.Numerics.Tensors;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

internal sealed partial class CpuBackend
{
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c, BroadcastLayout layout, bool accumulate)
    {
        Defined(op, nameof(op));
        Defined(layout.Side, nameof(layout));
        if (IsDouble(c)) ParallelBinary<double>(op, S<double>(a), S<double>(b), S<double>(c), layout, accumulate);
        else ParallelBinary<float>(op, S<float>(a), S<float>(b), S<float>(c), layout, accumulate);
    }

    private static void Binary<T>(BinaryOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, BroadcastLayout l, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (l.Side)
        {
            case BroadcastSide.None:
                Segment(op, a, b, c, accumulate);
                break;
            case BroadcastSide.Right when l.Inner == 1:
                for (int o = 0; o < l.Outer; o++)
                    Segment(op, a.Slice(o * l.Mid, l.Mid), b, c.Slice(o * l.Mid, l.Mid), accumulate);
                break;
            case BroadcastSide.Left when l.Inner == 1:
                for (int o = 0; o < l.Outer; o++)
                    Segment(op, a, b.Slice(o * l.Mid, l.Mid), c.Slice(o * l.Mid, l.Mid), accumulate);
                break;
            case BroadcastSide.Right:
                for (int o = 0; o < l.Outer; o++)
                    for (int m = 0; m < l.Mid; m++)
                    {
                        int start = (o * l.Mid + m) * l.Inner;
                        SegmentScalarRight(op, a.Slice(start, l.Inner), b[m], c.Slice(start, l.Inner), accumulate);
                    }
                break;
            case BroadcastSide.Left:
                for (int o = 0; o < l.Outer; o++)
                    for (int m = 0; m < l.Mid; m++)
                    {
                        int start = (o * l.Mid + m) * l.Inner;
                        SegmentScalarLeft(op, a[m], b.Slice(start, l.Inner), c.Slice(start, l.Inner), accumulate);
                    }
                break;
        }
    }

    private static void Segment<T>(BinaryOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate && op == BinaryOp.Add)
        {
            TensorPrimitives.Add(c, a, c);
            TensorPrimitives.Add(c, b, c);
            return;
        }
        if (accumulate && op == BinaryOp.Mul)
        {
            TensorPrimitives.MultiplyAdd(a, b, c, c);
            return;
        }
        Span<T> t = accumulate ? Scratch<T>.First(c.Length) : c;
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, b, t); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, t); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, t); break;
            case BinaryOp.Div: TensorPrimitives.Divide(a, b, t); break;
        }
        if (accumulate) TensorPrimitives.Add(c, t, c);
    }

    private static void SegmentScalarRight<T>(BinaryOp op, ReadOnlySpan<T> a, T b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> t = accumulate ? Scratch<T>.First(c.Length) : c;
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, b, t); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, t); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, t); break;
            case BinaryOp.Div: TensorPrimitives.Divide(a, b, t); break;
        }
        if (accumulate) TensorPrimitives.Add(c, t, c);
    }

    private static void SegmentScalarLeft<T>(BinaryOp op, T a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> t = accumulate ? Scratch<T>.First(c.Length) : c;
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(b, a, t); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, t); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(b, a, t); break;
            case BinaryOp.Div: TensorPrimitives.Divide(a, b, t); break;
        }
        if (accumulate) TensorPrimitives.Add(c, t, c);
    }
}

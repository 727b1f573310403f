using System.Numerics;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// The elementwise families split across <see cref="CpuParallel"/>'s threads: a training step's activations are
/// millions of elements and a single core's memory bandwidth would otherwise bound them. Each body runs the
/// span-based kernel of its family on a contiguous chunk (or on a block of rows for broadcasts); buffers are
/// pinned, so the bodies hold raw pointers. Small tensors run inline.
/// </summary>
internal sealed partial class CpuBackend
{
    /// <summary>Elements per claimed chunk: large enough to amortise the claim, small enough to balance.</summary>
    private const int ElementwiseGrain = 1 << 14;

    private unsafe struct UnaryBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y;
        public UnaryOp Op;

        public readonly void Invoke(int start, int end) =>
            Unary<T>(Op, new ReadOnlySpan<T>(X + start, end - start), new Span<T>(Y + start, end - start));
    }

    private unsafe struct DerivativeBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y, Dy, Dx;
        public UnaryOp Op;
        public bool Accumulate;

        public readonly void Invoke(int start, int end)
        {
            int n = end - start;
            UnaryDerivativeProduct<T>(Op, new ReadOnlySpan<T>(X + start, n), new ReadOnlySpan<T>(Y + start, n),
                new ReadOnlySpan<T>(Dy + start, n), new Span<T>(Dx + start, n), Accumulate);
        }
    }

    /// <summary>A binary op on a block of outer rows [start, end) of the [Outer, Mid, Inner] layout.</summary>
    private unsafe struct BinaryBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* A, B, C;
        public BinaryOp Op;
        public BroadcastLayout Layout;
        public bool Accumulate;

        public readonly void Invoke(int start, int end)
        {
            var l = Layout;
            int rowSize = l.Mid * l.Inner, rows = end - start, full = rows * rowSize;
            var part = l with { Outer = rows };
            var c = new Span<T>(C + (long)start * rowSize, full);
            switch (l.Side)
            {
                case BroadcastSide.None:
                    Binary<T>(Op, new ReadOnlySpan<T>(A + (long)start * rowSize, full), new ReadOnlySpan<T>(B + (long)start * rowSize, full), c, part, Accumulate);
                    break;
                case BroadcastSide.Right:
                    Binary<T>(Op, new ReadOnlySpan<T>(A + (long)start * rowSize, full), new ReadOnlySpan<T>(B, l.Mid), c, part, Accumulate);
                    break;
                default:
                    Binary<T>(Op, new ReadOnlySpan<T>(A, l.Mid), new ReadOnlySpan<T>(B + (long)start * rowSize, full), c, part, Accumulate);
                    break;
            }
        }
    }

    private unsafe struct AxpbyBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y;
        public T Alpha, Beta;

        public readonly void Invoke(int start, int end) =>
            Axpby<T>(Alpha, new ReadOnlySpan<T>(X + start, end - start), Beta, new Span<T>(Y + start, end - start));
    }

    private unsafe struct AffineBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y;
        public T Scale, Shift;

        public readonly void Invoke(int start, int end) =>
            Affine<T>(new ReadOnlySpan<T>(X + start, end - start), Scale, Shift, new Span<T>(Y + start, end - start));
    }

    private static unsafe void ParallelUnary<T>(UnaryOp op, Span<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length < ParallelThreshold) { Unary<T>(op, x, y); return; }
        CpuParallel.For(0, x.Length, new UnaryBody<T> { X = Pointer(x), Y = Pointer(y), Op = op }, grain: ElementwiseGrain);
    }

    private static unsafe void ParallelDerivative<T>(UnaryOp op, Span<T> x, Span<T> y, Span<T> dy, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length < ParallelThreshold) { UnaryDerivativeProduct<T>(op, x, y, dy, dx, accumulate); return; }
        CpuParallel.For(0, x.Length, new DerivativeBody<T> { X = Pointer(x), Y = Pointer(y), Dy = Pointer(dy), Dx = Pointer(dx), Op = op, Accumulate = accumulate },
            grain: ElementwiseGrain);
    }

    private static unsafe void ParallelBinary<T>(BinaryOp op, Span<T> a, Span<T> b, Span<T> c, BroadcastLayout l, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Split by outer rows; a layout with a single outer row (same shapes, or a column) is re-viewed as rows of
        // the inner extent when that keeps the broadcast operand indexable.
        var layout = l;
        if (l.Side == BroadcastSide.None && l.Outer == 1)
        {
            int rows = Math.Max(1, l.Total / ElementwiseGrain);
            while (l.Total % rows != 0) rows--;
            layout = new BroadcastLayout(rows, l.Total / rows, 1, BroadcastSide.None);
        }
        if (layout.Total < ParallelThreshold || layout.Outer < 2) { Binary<T>(op, a, b, c, l, accumulate); return; }
        int grain = Math.Max(1, ElementwiseGrain / Math.Max(1, layout.Mid * layout.Inner));
        CpuParallel.For(0, layout.Outer, new BinaryBody<T> { A = Pointer(a), B = Pointer(b), C = Pointer(c), Op = op, Layout = layout, Accumulate = accumulate }, grain: grain);
    }

    private static unsafe void ParallelAxpby<T>(T alpha, Span<T> x, T beta, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length < ParallelThreshold) { Axpby<T>(alpha, x, beta, y); return; }
        CpuParallel.For(0, x.Length, new AxpbyBody<T> { X = Pointer(x), Y = Pointer(y), Alpha = alpha, Beta = beta }, grain: ElementwiseGrain);
    }

    private static unsafe void ParallelAffine<T>(Span<T> x, T scale, T shift, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length < ParallelThreshold) { Affine<T>(x, scale, shift, y); return; }
        CpuParallel.For(0, x.Length, new AffineBody<T> { X = Pointer(x), Y = Pointer(y), Scale = scale, Shift = shift }, grain: ElementwiseGrain);
    }
}

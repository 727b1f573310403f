using System.Numerics;
using System.Numerics.Tensors;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>Row-wise log-softmax and log-sum-exp, max-shifted for stability.</summary>
internal sealed partial class CpuBackend
{
    public void LogSoftmax(Tensor x, int rows, int cols, Tensor y)
    {
        if (IsDouble(x)) LogSoftmax<double>(S<double>(x), rows, cols, S<double>(y));
        else LogSoftmax<float>(S<float>(x), rows, cols, S<float>(y));
    }

    private static void LogSoftmax<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var e = Scratch<T>.First(cols);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            T lse = RowLogSumExp(xr, e);
            TensorPrimitives.Subtract(xr, lse, yr);
        }
    }

    private static T RowLogSumExp<T>(ReadOnlySpan<T> xr, Span<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(xr);
        if (!T.IsFinite(max)) return max; // all -inf, or +inf/NaN present: propagate
        TensorPrimitives.Subtract(xr, max, e);
        TensorPrimitives.Exp(e, e);
        return max + T.Log(TensorPrimitives.Sum<T>(e));
    }

    public void LogSoftmaxBackward(Tensor y, Tensor dy, int rows, int cols, Tensor dx, bool accumulate)
    {
        if (IsDouble(y)) LogSoftmaxBackward<double>(S<double>(y), S<double>(dy), rows, cols, S<double>(dx), accumulate);
        else LogSoftmaxBackward<float>(S<float>(y), S<float>(dy), rows, cols, S<float>(dx), accumulate);
    }

    // d/dx_j of y_i = x_i - lse(x) is delta_ij - softmax_j, so dx = dy - softmax * sum(dy).
    private static void LogSoftmaxBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, int rows, int cols, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Scratch<T>.First(cols);
        for (int r = 0; r < rows; r++)
        {
            var dyr = dy.Slice(r * cols, cols);
            T s = TensorPrimitives.Sum(dyr);
            TensorPrimitives.Exp(y.Slice(r * cols, cols), p);
            TensorPrimitives.MultiplyAdd(p, -s, dyr, p);
            var dxr = dx.Slice(r * cols, cols);
            if (accumulate) TensorPrimitives.Add(dxr, p, dxr);
            else p.CopyTo(dxr);
        }
    }

    public void LogSoftmaxJvp(Tensor y, Tensor tx, int rows, int cols, Tensor ty)
    {
        if (IsDouble(y)) LogSoftmaxJvp<double>(S<double>(y), S<double>(tx), rows, cols, S<double>(ty));
        else LogSoftmaxJvp<float>(S<float>(y), S<float>(tx), rows, cols, S<float>(ty));
    }

    // ty = tx - <softmax, tx> per row.
    private static void LogSoftmaxJvp<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> tx, int rows, int cols, Span<T> ty)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Scratch<T>.First(cols);
        for (int r = 0; r < rows; r++)
        {
            var txr = tx.Slice(r * cols, cols);
            TensorPrimitives.Exp(y.Slice(r * cols, cols), p);
            T d = TensorPrimitives.Dot<T>(p, txr);
            TensorPrimitives.Subtract(txr, d, ty.Slice(r * cols, cols));
        }
    }

    public void LogSumExp(Tensor x, int rows, int cols, Tensor y)
    {
        if (IsDouble(x)) LogSumExp<double>(S<double>(x), rows, cols, S<double>(y));
        else LogSumExp<float>(S<float>(x), rows, cols, S<float>(y));
    }

    private static void LogSumExp<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var e = Scratch<T>.First(cols);
        for (int r = 0; r < rows; r++) y[r] = RowLogSumExp(x.Slice(r * cols, cols), e);
    }

    public void LogSumExpBackward(Tensor x, Tensor y, Tensor dy, int rows, int cols, Tensor dx, bool accumulate)
    {
        if (IsDouble(x)) LogSumExpBackward<double>(S<double>(x), S<double>(y), S<double>(dy), rows, cols, S<double>(dx), accumulate);
        else LogSumExpBackward<float>(S<float>(x), S<float>(y), S<float>(dy), rows, cols, S<float>(dx), accumulate);
    }

    private static void LogSumExpBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, int rows, int cols, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Scratch<T>.First(cols);
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Subtract(x.Slice(r * cols, cols), y[r], p);
            TensorPrimitives.Exp(p, p);
            var dxr = dx.Slice(r * cols, cols);
            if (accumulate) TensorPrimitives.MultiplyAdd(p, dy[r], dxr, dxr);
            else TensorPrimitives.Multiply(p, dy[r], dxr);
        }
    }

    public void LogSumExpJvp(Tensor x, Tensor y, Tensor tx, int rows, int cols, Tensor ty)
    {
        if (IsDouble(x)) LogSumExpJvp<double>(S<double>(x), S<double>(y), S<double>(tx), rows, cols, S<double>(ty));
        else LogSumExpJvp<float>(S<float>(x), S<float>(y), S<float>(tx), rows, cols, S<float>(ty));
    }

    private static void LogSumExpJvp<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> tx, int rows, int cols, Span<T> ty)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Scratch<T>.First(cols);
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Subtract(x.Slice(r * cols, cols), y[r], p);
            TensorPrimitives.Exp(p, p);
            ty[r] = TensorPrimitives.Dot<T>(p, tx.Slice(r * cols, cols));
        }
    }
}

using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>Row-wise log-softmax and log-sum-exp with their reverse- and forward-mode derivatives (a group per row).</summary>
public sealed partial class IlgpuBackend
{
    public void LogSoftmax(Tensor x, int rows, int cols, Tensor y)
    {
        CheckRows(x, y, rows, cols, (long)rows * cols, "LogSoftmax");
        if (rows == 0 || cols == 0) return;
        if (IsDouble(x)) _f64.LogSoftmax(Policy.Rows(rows), V<double>(x, nameof(x)), V<double>(y, nameof(y)), rows, cols);
        else _f32.LogSoftmax(Policy.Rows(rows), V<float>(x, nameof(x)), V<float>(y, nameof(y)), rows, cols);
    }

    public void LogSoftmaxBackward(Tensor y, Tensor dy, int rows, int cols, Tensor dx, bool accumulate)
    {
        CheckRows(y, dx, rows, cols, (long)rows * cols, "LogSoftmaxBackward");
        AtLeast(dy, (long)rows * cols, nameof(dy), $"LogSoftmaxBackward of a {rows} x {cols} matrix");
        if (rows == 0 || cols == 0) return;
        int acc = accumulate ? 1 : 0;
        if (IsDouble(y)) _f64.LogSoftmaxBackward(Policy.Rows(rows), V<double>(y, nameof(y)), V<double>(dy, nameof(dy)), V<double>(dx, nameof(dx)), rows, cols, acc);
        else _f32.LogSoftmaxBackward(Policy.Rows(rows), V<float>(y, nameof(y)), V<float>(dy, nameof(dy)), V<float>(dx, nameof(dx)), rows, cols, acc);
    }

    public void LogSoftmaxJvp(Tensor y, Tensor tx, int rows, int cols, Tensor ty)
    {
        CheckRows(y, ty, rows, cols, (long)rows * cols, "LogSoftmaxJvp");
        AtLeast(tx, (long)rows * cols, nameof(tx), $"LogSoftmaxJvp of a {rows} x {cols} matrix");
        if (rows == 0 || cols == 0) return;
        if (IsDouble(y)) _f64.LogSoftmaxJvp(Policy.Rows(rows), V<double>(y, nameof(y)), V<double>(tx, nameof(tx)), V<double>(ty, nameof(ty)), rows, cols);
        else _f32.LogSoftmaxJvp(Policy.Rows(rows), V<float>(y, nameof(y)), V<float>(tx, nameof(tx)), V<float>(ty, nameof(ty)), rows, cols);
    }

    public void LogSumExp(Tensor x, int rows, int cols, Tensor y)
    {
        CheckRows(x, y, rows, cols, rows, "LogSumExp");
        if (rows == 0) return;
        if (IsDouble(x)) _f64.LogSumExp(Policy.Rows(rows), V<double>(x, nameof(x)), V<double>(y, nameof(y)), rows, cols);
        else _f32.LogSumExp(Policy.Rows(rows), V<float>(x, nameof(x)), V<float>(y, nameof(y)), rows, cols);
    }

    public void LogSumExpBackward(Tensor x, Tensor y, Tensor dy, int rows, int cols, Tensor dx, bool accumulate)
    {
        CheckRows(x, dx, rows, cols, (long)rows * cols, "LogSumExpBackward");
        AtLeast(y, rows, nameof(y), $"LogSumExpBackward of a {rows} x {cols} matrix");
        AtLeast(dy, rows, nameof(dy), $"LogSumExpBackward of a {rows} x {cols} matrix");
        long total = (long)rows * cols;
        if (total == 0) return;
        int acc = accumulate ? 1 : 0;
        if (IsDouble(x))
            _f64.LogSumExpBackward(Policy.Linear(total), V<double>(x, nameof(x)), V<double>(y, nameof(y)), V<double>(dy, nameof(dy)), V<double>(dx, nameof(dx)), rows, cols, acc);
        else
            _f32.LogSumExpBackward(Policy.Linear(total), V<float>(x, nameof(x)), V<float>(y, nameof(y)), V<float>(dy, nameof(dy)), V<float>(dx, nameof(dx)), rows, cols, acc);
    }

    public void LogSumExpJvp(Tensor x, Tensor y, Tensor tx, int rows, int cols, Tensor ty)
    {
        CheckRows(x, ty, rows, cols, rows, "LogSumExpJvp");
        AtLeast(y, rows, nameof(y), $"LogSumExpJvp of a {rows} x {cols} matrix");
        AtLeast(tx, (long)rows * cols, nameof(tx), $"LogSumExpJvp of a {rows} x {cols} matrix");
        if (rows == 0) return;
        if (IsDouble(x))
            _f64.LogSumExpJvp(Policy.Rows(rows), V<double>(x, nameof(x)), V<double>(y, nameof(y)), V<double>(tx, nameof(tx)), V<double>(ty, nameof(ty)), rows, cols);
        else
            _f32.LogSumExpJvp(Policy.Rows(rows), V<float>(x, nameof(x)), V<float>(y, nameof(y)), V<float>(tx, nameof(tx)), V<float>(ty, nameof(ty)), rows, cols);
    }

    private static void CheckRows(Tensor input, Tensor output, int rows, int cols, long outputs, string op)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"{op}: rows ({rows}) and cols ({cols}) must be >= 0");
        SameDType(input, output, "input", "output");
        AtLeast(input, (long)rows * cols, "input", $"{op} of a {rows} x {cols} matrix");
        AtLeast(output, outputs, "output", $"{op} of a {rows} x {cols} matrix");
    }
}

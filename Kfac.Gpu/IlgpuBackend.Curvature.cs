using Kfac.Gpu.Kernels;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>K-FAC's curvature primitives: the EMA-fused covariance update, block copies, diagonal shifts, trace.
/// The SPD inverse is in IlgpuBackend.SpdInverse.cs.</summary>
public sealed partial class IlgpuBackend
{
    public void Syrk(Tensor x, int rows, int cols, double alpha, double beta, Tensor c) =>
        Covariance(x, rows, cols, alpha, beta, c, transposed: false);

    public void SyrkTransposed(Tensor x, int rows, int cols, double alpha, double beta, Tensor c) =>
        Covariance(x, rows, cols, alpha, beta, c, transposed: true);

    /// <summary>C = beta C + alpha P^T P with P = X [rows, cols] (n = cols), or P = X^T (n = rows): the kernel's
    /// Transposed layout reads P[p, i] = X[i * ldx + p], so P^T P = X X^T without moving X.</summary>
    private void Covariance(Tensor x, int rows, int cols, double alpha, double beta, Tensor c, bool transposed)
    {
        string op = transposed ? "SyrkTransposed" : "Syrk";
        SameDType(x, c, nameof(x), nameof(c));
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"{op}: rows ({rows}) and cols ({cols}) must be >= 0");
        int n = transposed ? rows : cols, k = transposed ? cols : rows;
        AtLeast(x, (long)rows * cols, nameof(x), $"{op} of X {rows} x {cols}");
        AtLeast(c, (long)n * n, nameof(c), $"{op} into C {n} x {n}");
        if (n == 0) return;
        var s = new SyrkArgs { N = n, K = k, Ldx = cols, Ldc = n, Mirror = 1, Transposed = transposed ? 1 : 0 };
        var config = Policy.Tiles(n, n);
        if (IsDouble(x)) _f64.Syrk(config, V<double>(x, nameof(x)), V<double>(c, nameof(c)), s, alpha, beta);
        else _f32.Syrk(config, V<float>(x, nameof(x)), V<float>(c, nameof(c)), s, (float)alpha, (float)beta);
    }

    /// <summary>The lower triangle copied up (<see cref="MirrorLowerKernel"/>). This backend's Syrk writes both
    /// triangles already; a lower-triangle message (PackedTensors) writes only the lower one.</summary>
    public void MirrorLower(Tensor c, int n)
    {
        if (n < 0 || c.Shape.Numel < (long)n * n)
            throw new ArgumentException($"MirrorLower: c {c.Shape} holds fewer than n x n = {n} x {n} elements", nameof(c));
        if (n < 2) return;
        long total = (long)n * n;
        if (IsDouble(c)) _f64.MirrorLower(Policy.Linear(total), V<double>(c, nameof(c)), n);
        else _f32.MirrorLower(Policy.Linear(total), V<float>(c, nameof(c)), n);
    }

    public void CopyBlock(Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset, int dstStride, int rows, int cols)
    {
        SameDType(src, dst, nameof(src), nameof(dst));
        CheckBlock(src, srcOffset, srcStride, rows, cols, nameof(src));
        CheckBlock(dst, dstOffset, dstStride, rows, cols, nameof(dst));
        if (rows == 0 || cols == 0) return;
        var b = new BlockArgs { Rows = rows, Cols = cols, SrcOffset = srcOffset, SrcStride = srcStride, DstOffset = dstOffset, DstStride = dstStride };
        long total = (long)rows * cols;
        if (IsDouble(src)) _f64.CopyBlock(Policy.Linear(total), V<double>(src, nameof(src)), V<double>(dst, nameof(dst)), b);
        else _f32.CopyBlock(Policy.Linear(total), V<float>(src, nameof(src)), V<float>(dst, nameof(dst)), b);
    }

    public void FillBlock(Tensor dst, int offset, int stride, int rows, int cols, double value)
    {
        CheckBlock(dst, offset, stride, rows, cols, nameof(dst));
        if (rows == 0 || cols == 0) return;
        var b = new BlockArgs { Rows = rows, Cols = cols, DstOffset = offset, DstStride = stride };
        long total = (long)rows * cols;
        if (IsDouble(dst)) _f64.FillBlock(Policy.Linear(total), V<double>(dst, nameof(dst)), b, value);
        else _f32.FillBlock(Policy.Linear(total), V<float>(dst, nameof(dst)), b, (float)value);
    }

    private static void CheckBlock(Tensor t, int offset, int stride, int rows, int cols, string name)
    {
        if (rows < 0 || cols < 0 || offset < 0 || (rows > 1 && stride < cols))
            throw new ArgumentOutOfRangeException(name, $"'{name}': block {rows} x {cols} at offset {offset} with stride {stride} is invalid");
        if (rows > 0 && cols > 0)
            AtLeast(t, offset + (long)(rows - 1) * stride + cols, name, $"a {rows} x {cols} block at offset {offset} with stride {stride}");
    }

    public void AddToDiagonal(Tensor a, int n, double value)
    {
        AtLeast(a, (long)n * n, nameof(a), $"AddToDiagonal of an {n} x {n} matrix");
        if (n <= 0) return;
        if (IsDouble(a)) _f64.AddToDiagonal(Policy.Linear(n), V<double>(a, nameof(a)), n, value);
        else _f32.AddToDiagonal(Policy.Linear(n), V<float>(a, nameof(a)), n, (float)value);
    }

    public double Trace(Tensor a, int n)
    {
        AtLeast(a, (long)n * n, nameof(a), $"Trace of an {n} x {n} matrix");
        return n <= 0 ? 0 : StridedSum(a, 0, n + 1, n, nameof(a));
    }
}

using System.Numerics;
using Kfac.Linalg;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

internal sealed partial class CpuBackend
{
    public void Syrk(Tensor x, int rows, int cols, double alpha, double beta, Tensor c)
    {
        if (IsDouble(x)) Covariance.Dsyrk(rows, cols, alpha, S<double>(x), cols, beta, S<double>(c), cols);
        else Covariance.Ssyrk(rows, cols, (float)alpha, S<float>(x), cols, (float)beta, S<float>(c), cols);
    }

    public void SyrkTransposed(Tensor x, int rows, int cols, double alpha, double beta, Tensor c)
    {
        if (IsDouble(x)) Covariance.DsyrkTransposed(rows, cols, alpha, S<double>(x), cols, beta, S<double>(c), rows);
        else Covariance.SsyrkTransposed(rows, cols, (float)alpha, S<float>(x), cols, (float)beta, S<float>(c), rows);
    }

    /// <summary>Lower triangle only: the SYRK without its per-task mirror (see <see cref="Blas.GemmRunner.MirrorBlock"/>).</summary>
    public void SyrkLower(Tensor x, int rows, int cols, double alpha, double beta, Tensor c)
    {
        if (IsDouble(x)) Covariance.SyrkLower(rows, cols, alpha, S<double>(x), cols, beta, S<double>(c), cols, 0);
        else Covariance.SyrkLower(rows, cols, (float)alpha, S<float>(x), cols, (float)beta, S<float>(c), cols, 0);
    }

    /// <summary>Lower triangle only (see <see cref="SyrkLower"/>).</summary>
    public void SyrkTransposedLower(Tensor x, int rows, int cols, double alpha, double beta, Tensor c)
    {
        if (IsDouble(x)) Covariance.SyrkTransposedLower(rows, cols, alpha, S<double>(x), cols, beta, S<double>(c), rows, 0);
        else Covariance.SyrkTransposedLower(rows, cols, (float)alpha, S<float>(x), cols, (float)beta, S<float>(c), rows, 0);
    }

    public void MirrorLower(Tensor c, int n)
    {
        if (c.Shape.Numel < (long)n * n)
            throw new ArgumentException($"MirrorLower: c {c.Shape} holds fewer than n x n = {n} x {n} elements", nameof(c));
        if (IsDouble(c)) MirrorLower(S<double>(c), n);
        else MirrorLower(S<float>(c), n);
    }

    private static unsafe void MirrorLower<T>(Span<T> c, int n) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        fixed (T* p = c) Blas.GemmRunner.MirrorBlock(p, n, 0, n, 0, n);
    }

    public void CopyBlock(Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset, int dstStride, int rows, int cols)
    {
        if (IsDouble(src)) CopyBlock<double>(S<double>(src), srcOffset, srcStride, S<double>(dst), dstOffset, dstStride, rows, cols);
        else CopyBlock<float>(S<float>(src), srcOffset, srcStride, S<float>(dst), dstOffset, dstStride, rows, cols);
    }

    private static void CopyBlock<T>(ReadOnlySpan<T> src, int srcOffset, int srcStride, Span<T> dst, int dstOffset, int dstStride, int rows, int cols)
        where T : unmanaged
    {
        for (int r = 0; r < rows; r++)
            src.Slice(srcOffset + r * srcStride, cols).CopyTo(dst.Slice(dstOffset + r * dstStride, cols));
    }

    public void FillBlock(Tensor dst, int offset, int stride, int rows, int cols, double value)
    {
        if (IsDouble(dst)) FillBlock<double>(S<double>(dst), offset, stride, rows, cols, value);
        else FillBlock<float>(S<float>(dst), offset, stride, rows, cols, (float)value);
    }

    private static void FillBlock<T>(Span<T> dst, int offset, int stride, int rows, int cols, T value) where T : unmanaged
    {
        for (int r = 0; r < rows; r++) dst.Slice(offset + r * stride, cols).Fill(value);
    }

    public void AddToDiagonal(Tensor a, int n, double value)
    {
        if (IsDouble(a)) SymmetricOps.AddScaledIdentity(S<double>(a), n, value);
        else SymmetricOps.AddScaledIdentity(S<float>(a), n, (float)value);
    }

    public double Trace(Tensor a, int n) =>
        IsDouble(a) ? SymmetricOps.Trace<double>(S<double>(a), n) : SymmetricOps.Trace<float>(S<float>(a), n);

    public void SpdInverse(Tensor a, int n, double damping, Tensor inverse)
    {
        if (IsDouble(a)) GuardedSpdInverse.Invert(S<double>(a), n, S<double>(inverse), damping);
        else GuardedSpdInverse.Invert(S<float>(a), n, S<float>(inverse), damping);
    }
}

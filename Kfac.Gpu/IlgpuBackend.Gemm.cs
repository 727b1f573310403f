using System.Numerics;
using ILGPU;
using Kfac.Gpu.Kernels;
using Kfac.Gpu.Arithmetic;
using Kfac.Gpu.Runtime;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>GEMM (tiled, register-blocked; see <see cref="GemmKernel"/>) and the tiled transpose.</summary>
public sealed partial class IlgpuBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c) =>
        Gemm(transA, transB, m, n, k, alpha, MatrixView.Of(a, transA ? m : k), MatrixView.Of(b, transB ? k : n), beta, MatrixView.Of(c, n));

    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, MatrixView a, MatrixView b, double beta, MatrixView c)
    {
        a.Check(transA ? k : m, transA ? m : k, nameof(a), "op(A)");
        b.Check(transB ? n : k, transB ? k : n, nameof(b), "op(B)");
        c.Check(m, n, nameof(c), "C");
        SameDType(a.Tensor, c.Tensor, nameof(a), nameof(c));
        SameDType(b.Tensor, c.Tensor, nameof(b), nameof(c));
        if (m == 0 || n == 0) return;
        var g = new GemmArgs
        {
            M = m, N = n, K = k,
            AOffset = a.Offset, Lda = a.Ld, TransA = transA ? 1 : 0,
            BOffset = b.Offset, Ldb = b.Ld, TransB = transB ? 1 : 0,
            COffset = c.Offset, Ldc = c.Ld,
        };
        if (IsDouble(c.Tensor)) Gemm(_f64, V<double>(a.Tensor, nameof(a)), V<double>(b.Tensor, nameof(b)), V<double>(c.Tensor, nameof(c)), g, alpha, beta);
        else Gemm(_f32, V<float>(a.Tensor, nameof(a)), V<float>(b.Tensor, nameof(b)), V<float>(c.Tensor, nameof(c)), g, alpha, beta);
    }

    /// <summary>A GEMM on sub-matrices (offsets and leading dimensions in <paramref name="g"/>); used by SpdInverse too.</summary>
    private void Gemm<T, TReal>(KernelSet<T, TReal> kernels, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GemmArgs g, double alpha, double beta)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        if (g.M == 0 || g.N == 0) return;
        kernels.Gemm(Policy.Tiles(g.M, g.N), a, b, c, g, Cast<T>(alpha), Cast<T>(beta));
    }

    public void Transpose(Tensor x, int rows, int cols, Tensor y)
    {
        SameDType(x, y, nameof(x), nameof(y));
        AtLeast(x, (long)rows * cols, nameof(x), $"Transpose of a {rows} x {cols} matrix");
        AtLeast(y, (long)rows * cols, nameof(y), $"Transpose of a {rows} x {cols} matrix");
        if (rows == 0 || cols == 0) return;
        if (IsDouble(x)) _f64.Transpose(Policy.TransposeTiles(rows, cols), V<double>(x, nameof(x)), V<double>(y, nameof(y)), rows, cols);
        else _f32.Transpose(Policy.TransposeTiles(rows, cols), V<float>(x, nameof(x)), V<float>(y, nameof(y)), rows, cols);
    }
}

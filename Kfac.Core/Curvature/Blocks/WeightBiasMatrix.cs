using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>The [W | b] parameter matrix of a Kronecker-factored block: W viewed as [rows, cols] (a conv weight
/// [Cout, Cin, kh, kw] as [Cout, Cin kh kw]) with the bias as one extra column when there is one.</summary>
internal static class WeightBiasMatrix
{
    /// <summary>Writes [W | b] (vector[0], vector[1]) into <paramref name="combined"/> [rows, cols + 1].</summary>
    public static void CombineInto(IReadOnlyList<Tensor> vector, Tensor combined, int rows, int cols)
    {
        combined.Backend.CopyBlock(vector[0], 0, cols, combined, 0, cols + 1, rows, cols);
        combined.Backend.CopyBlock(vector[1], 0, 1, combined, cols, cols + 1, rows, 1);
    }

    /// <summary>
    /// result = scale L [W | b] R for symmetric L (rows x rows) and R ((cols + 1) x (cols + 1), or cols x cols without
    /// a bias), the Kronecker-factored product (R (x) L) vec([W | b]) of Martens and Grosse 2015 eq. (6), without
    /// assembling [W | b] or the result. Because L is symmetric, T = scale L [W | b] is formed as its transpose
    /// T^T = scale [W | b]^T L (one [cols + 1, rows] buffer, the bias as its last row), then result W = T R[:, :cols]
    /// and result b = T R[:, cols] read T^T transposed and R in place. So both factors (in K-FAC the cached inverses,
    /// constant between refreshes) are the B operands of the products, the side the CPU backend can keep packed
    /// (<see cref="IBackend.HoldConstant"/>); [W | b] and T are each packed once as A.
    /// </summary>
    public static void MultiplyKronecker(Tensor left, Tensor right, IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result,
        int rows, int cols, double scale)
    {
        var backend = left.Backend;
        bool bias = vector.Count > 1;
        int d = bias ? cols + 1 : cols;
        var leftView = MatrixView.Of(left, rows);
        var tt = Tensor.Empty(new Shape(d, rows), left.DType, left.Device);
        // T^T[:cols] = scale W^T L (W stored rows x cols), T^T[cols] = scale b^T L.
        backend.Gemm(true, false, cols, rows, rows, scale, MatrixView.Of(vector[0], cols), leftView, 0, new MatrixView(tt, 0, rows));
        if (bias) backend.Gemm(true, false, 1, rows, rows, scale, MatrixView.Of(vector[1], 1), leftView, 0, new MatrixView(tt, cols * rows, rows));
        var ttView = MatrixView.Of(tt, rows);
        backend.Gemm(true, false, rows, cols, d, 1, ttView, new MatrixView(right, 0, d), 0, MatrixView.Of(result[0], cols));
        if (bias) backend.Gemm(true, false, rows, 1, d, 1, ttView, new MatrixView(right, cols, d), 0, MatrixView.Of(result[1], 1));
    }

    /// <summary>Writes the W and b parts of u [rows, cols + 1] into result[0] and result[1].</summary>
    public static void Split(Tensor u, IReadOnlyList<Tensor> result, int rows, int cols)
    {
        u.Backend.CopyBlock(u, 0, cols + 1, result[0], 0, cols, rows, cols);
        u.Backend.CopyBlock(u, cols, cols + 1, result[1], 0, 1, rows, 1);
    }
}

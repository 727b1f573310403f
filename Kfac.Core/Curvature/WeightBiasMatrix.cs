using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>The [W | b] parameter matrix of a Kronecker-factored block: W viewed as [rows, cols] (a conv weight
/// [Cout, Cin, kh, kw] as [Cout, Cin kh kw]) with the bias as one extra column when there is one.</summary>
internal static class WeightBiasMatrix
{
    /// <summary>[W | b] as one new [rows, cols + 1] matrix, or W itself (viewed) when the list has no bias.</summary>
    public static Tensor Combine(IReadOnlyList<Tensor> vector, int rows, int cols)
    {
        var w = vector[0];
        if (vector.Count == 1) return w;
        var v = Tensor.Empty(new Shape(rows, cols + 1), w.DType, w.Device);
        v.Backend.CopyBlock(w, 0, cols, v, 0, cols + 1, rows, cols);
        v.Backend.CopyBlock(vector[1], 0, 1, v, cols, cols + 1, rows, 1);
        return v;
    }

    /// <summary>Writes the W and b parts of u [rows, cols + 1] into result[0] and result[1].</summary>
    public static void Split(Tensor u, IReadOnlyList<Tensor> result, int rows, int cols)
    {
        u.Backend.CopyBlock(u, 0, cols + 1, result[0], 0, cols, rows, cols);
        u.Backend.CopyBlock(u, cols, cols + 1, result[1], 0, 1, rows, 1);
    }
}

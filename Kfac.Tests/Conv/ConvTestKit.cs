using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Tensors;

namespace Kfac.Tests.Conv;

/// <summary>Shared fixtures for the KFC tests: double-precision images and the dense form of a Kronecker
/// block of a [W | b] parameter matrix in <see cref="ExactCurvature"/>'s flat order.</summary>
internal static class ConvTestKit
{
    public static Tensor Images(int n, int c, int h, int w, int seed) =>
        Tensor.RandN(new Shape(n, c, h, w), new System.Random(seed), dtype: DType.Float64);

    /// <summary>The P x P matrix of A (x) G (A over the columns of [W | b], G over its rows; vec stacks columns)
    /// placed at <paramref name="offset"/> in flat order, where W [rows, cols] is stored row-major and then b.</summary>
    public static double[] KroneckerInFlatOrder(double[] a, double[] g, int rows, int cols, bool bias, int offset, int p)
    {
        int d = cols + (bias ? 1 : 0);
        int Flat(int c, int r) => offset + (c < cols ? r * cols + c : rows * cols + r);
        var result = new double[p * p];
        for (int c1 = 0; c1 < d; c1++)
            for (int r1 = 0; r1 < rows; r1++)
                for (int c2 = 0; c2 < d; c2++)
                    for (int r2 = 0; r2 < rows; r2++)
                        result[Flat(c1, r1) * p + Flat(c2, r2)] = a[c1 * d + c2] * g[r1 * rows + r2];
        return result;
    }

    public static double[] Scaled(double[] a, double s) => a.Select(v => v * s).ToArray();

    /// <summary>Tensors shaped like <paramref name="like"/> with N(0, 1) entries.</summary>
    public static Tensor[] RandomVector(IReadOnlyList<Tensor> like, int seed)
    {
        var rng = new System.Random(seed);
        return like.Select(t => Tensor.RandN(t.Shape, rng, dtype: DType.Float64)).ToArray();
    }

    public static Tensor[] ZerosLike(IReadOnlyList<Tensor> like) => like.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();

    public static int Offset(Module net, Tensor parameter)
    {
        int offset = 0;
        foreach (var p in net.Parameters())
        {
            if (ReferenceEquals(p, parameter)) return offset;
            offset += p.Numel;
        }
        throw new ArgumentException("not a parameter of the network", nameof(parameter));
    }
}

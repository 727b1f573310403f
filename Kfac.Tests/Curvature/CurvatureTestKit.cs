using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Linalg;
using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Tests.Curvature;

/// <summary>Shared fixtures: tiny double-precision networks and dense forms of the K-FAC structures in the
/// flat parameter order of <see cref="ExactCurvature"/> (parameters in order, each row-major).</summary>
internal static class CurvatureTestKit
{
    public static Sequential Network(int[] sizes, Activation hidden, int seed, bool bias = true)
    {
        var net = new Sequential();
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            net.Add(new Dense(sizes[i], sizes[i + 1], bias, Initializer.GlorotNormal, new System.Random(seed + i), DType.Float64));
            if (i + 2 < sizes.Length && hidden != Activation.Identity) net.Add(Activations.Create(hidden));
        }
        return net;
    }

    public static Tensor Inputs(int m, int n, int seed) => Tensor.RandN(new Shape(m, n), new System.Random(seed), dtype: DType.Float64);

    /// <summary>Records a forward pass and runs the estimator's backward passes; returns the captures.</summary>
    public static IReadOnlyList<LayerCapture> Capture(Sequential net, ILoss loss, Tensor x, FisherEstimation estimation, Kfac.Sampling.RandomStream? rng = null)
    {
        var recorder = new CurvatureRecorder();
        Tensor z;
        using (recorder.Activate()) z = net.Forward(x);
        FisherTargets.Backpropagate(loss, z, estimation, rng ?? new Kfac.Sampling.RandomStream(1), recorder, retainGraph: false);
        return recorder.Captures;
    }

    /// <summary>(block + damping)^-1 v, flattened.</summary>
    public static double[] ApplyInverse(CurvatureBlock block, Tensor[] v)
    {
        var r = v.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
        block.MultiplyByDampedPower(v, r, -1);
        return ExactCurvature.Flatten(r);
    }

    public static List<KroneckerFactoredBlock> UpdatedBlocks(Sequential net, IReadOnlyList<LayerCapture> captures, double gamma)
    {
        var blocks = new List<KroneckerFactoredBlock>();
        foreach (var c in captures)
        {
            var b = new KroneckerFactoredBlock((DenseTag)c.Tag);
            b.UpdateStatistics([c], 0.95);
            b.RefreshInverse(gamma);
            blocks.Add(b);
        }
        return blocks;
    }

    /// <summary>Flat indices (in ExactCurvature order, relative to the layer's first parameter) of the entries of
    /// [W | b] in column-stacked vec order: entry (r, c) of [W | b] sits at position c * out + r of vec.</summary>
    public static int[] VecToFlat(DenseTag tag)
    {
        int o = tag.OutFeatures, n = tag.InFeatures, d = tag.InputDim;
        var map = new int[o * d];
        for (int c = 0; c < d; c++)
            for (int r = 0; r < o; r++)
                map[c * o + r] = c < n ? r * n + c : o * n + r;
        return map;
    }

    /// <summary>The P x P dense matrix of a Kronecker product A (x) G of a dense layer, placed at the layer's
    /// parameter offset, in flat order (zero elsewhere).</summary>
    public static double[] KroneckerInFlatOrder(double[] a, double[] g, DenseTag tag, int offset, int p)
    {
        var map = VecToFlat(tag);
        int o = tag.OutFeatures, d = tag.InputDim;
        var result = new double[p * p];
        for (int c1 = 0; c1 < d; c1++)
            for (int r1 = 0; r1 < o; r1++)
                for (int c2 = 0; c2 < d; c2++)
                    for (int r2 = 0; r2 < o; r2++)
                    {
                        int i = offset + map[c1 * o + r1], j = offset + map[c2 * o + r2];
                        result[i * p + j] = a[c1 * d + c2] * g[r1 * o + r2];
                    }
        return result;
    }

    public static double[] SubMatrix(double[] m, int p, int offset, int size)
    {
        var s = new double[size * size];
        for (int i = 0; i < size; i++)
            for (int j = 0; j < size; j++) s[i * size + j] = m[(offset + i) * p + offset + j];
        return s;
    }

    public static double RelativeError(double[] actual, double[] expected)
    {
        double num = 0, den = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            num += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            den += expected[i] * expected[i];
        }
        return Math.Sqrt(num / Math.Max(den, 1e-300));
    }

    public static double[] AddIdentity(double[] a, int n, double value)
    {
        var r = (double[])a.Clone();
        for (int i = 0; i < n; i++) r[i * n + i] += value;
        return r;
    }

    public static double[] Inverse(double[] a, int n)
    {
        var inv = new double[n * n];
        Spd.Inverse<double>(a, n, inv);
        return inv;
    }

    public static double[] MatVec(double[] a, double[] v)
    {
        int n = v.Length;
        var r = new double[a.Length / n];
        for (int i = 0; i < r.Length; i++)
            for (int j = 0; j < n; j++) r[i] += a[i * n + j] * v[j];
        return r;
    }
}

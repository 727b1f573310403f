using System.Numerics.Tensors;

namespace Kfac.Sampling;

/// <summary>Standard normal samples: one at a time by the Marsaglia polar method, many at once by vectorised Box-Muller.</summary>
public static class Gaussian
{
    /// <summary>Pairs per vectorised chunk of <see cref="Fill"/> (stack buffers of 4 x 128 doubles).</summary>
    private const int ChunkPairs = 128;

    /// <summary>One N(0, 1) draw from <paramref name="rng"/> (Marsaglia polar method: rejection sampling in the unit disc).</summary>
    public static double Sample(System.Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        double u, v, s;
        do
        {
            u = 2 * rng.NextDouble() - 1;
            v = 2 * rng.NextDouble() - 1;
            s = u * u + v * v;
        }
        while (s >= 1 || s == 0);
        return u * Math.Sqrt(-2 * Math.Log(s) / s);
    }

    /// <summary>
    /// Fills <paramref name="into"/> with iid N(0, 1) draws by the Box-Muller transform (Box &amp; Muller 1958): from
    /// u1 in (0, 1] and u2 in [0, 1), r = sqrt(-2 log u1) and theta = 2 pi u2 give the independent pair
    /// (r cos theta, r sin theta). Both members of each pair are used (an odd length drops the last sine), and log,
    /// sqrt and sin/cos run vectorised over chunks, so a draw costs about one uniform instead of a scalar log and ~2.5
    /// uniforms of the polar method. The hot loops of the samplers (matrix-variate, factorised, BBB) use this.
    /// </summary>
    public static void Fill(System.Random rng, Span<double> into)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Span<double> radius = stackalloc double[ChunkPairs];
        Span<double> angle = stackalloc double[ChunkPairs];
        Span<double> sin = stackalloc double[ChunkPairs];
        Span<double> cos = stackalloc double[ChunkPairs];
        int i = 0, n = into.Length;
        while (i < n)
        {
            int pairs = Math.Min(ChunkPairs, (n - i + 1) / 2);
            var r = radius[..pairs];
            var t = angle[..pairs];
            for (int k = 0; k < pairs; k++)
            {
                r[k] = 1 - rng.NextDouble(); // (0, 1]: the log is finite
                t[k] = rng.NextDouble();
            }
            TensorPrimitives.Log(r, r);
            TensorPrimitives.Multiply(r, -2.0, r);
            TensorPrimitives.Sqrt(r, r);
            TensorPrimitives.Multiply(t, 2 * Math.PI, t);
            TensorPrimitives.Sin(t, sin[..pairs]); // (SinCos for double is scalar in System.Numerics.Tensors 10; Sin and Cos are vectorised)
            TensorPrimitives.Cos(t, cos[..pairs]);
            for (int k = 0; k < pairs; k++)
            {
                into[i++] = r[k] * cos[k];
                if (i < n) into[i++] = r[k] * sin[k];
            }
        }
    }
}

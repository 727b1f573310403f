using Kfac.Sampling;

namespace Kfac.Layers;

/// <summary>
/// How a layer's weight matrix [fanOut, fanIn] (row i = the incoming weights of unit i) is drawn.
/// Biases start at zero unless the initializer says otherwise.
/// </summary>
public abstract record Initializer
{
    /// <summary>The weight matrix [fanOut, fanIn], row-major.</summary>
    public abstract double[] Weights(int fanOut, int fanIn, System.Random rng);

    /// <summary>Initial bias values (zero by default).</summary>
    public virtual double[] Biases(int fanOut, int fanIn, System.Random rng) => new double[fanOut];

    /// <summary>Glorot &amp; Bengio 2010: U(-a, a), a = sqrt(6 / (fanIn + fanOut)).</summary>
    public static Initializer GlorotUniform { get; } = new GlorotUniformInit();

    /// <summary>Glorot &amp; Bengio 2010: N(0, 2 / (fanIn + fanOut)).</summary>
    public static Initializer GlorotNormal { get; } = new GlorotNormalInit();

    /// <summary>He et al. 2015: N(0, 2 / fanIn) (for ReLU units).</summary>
    public static Initializer HeNormal { get; } = new HeNormalInit();

    /// <summary>He et al. 2015: U(-a, a), a = sqrt(6 / fanIn).</summary>
    public static Initializer HeUniform { get; } = new HeUniformInit();

    /// <summary>PyTorch's nn.Linear default: weights and biases U(-1/sqrt(fanIn), 1/sqrt(fanIn)).</summary>
    public static Initializer TorchDefault { get; } = new TorchDefaultInit();

    /// <summary>
    /// The sparse initialisation of Martens 2010 used by the K-FAC paper's autoencoders: each unit gets
    /// exactly <paramref name="nonzeros"/> nonzero incoming weights, N(0, scale^2), at distinct random
    /// positions (all of them if fanIn is smaller); biases are zero. Deep autoencoders train only from it.
    /// </summary>
    public static Initializer Sparse(int nonzeros = 15, double scale = 1) => new SparseInit(nonzeros, scale);

    /// <summary><paramref name="count"/> draws from U(-bound, bound).</summary>
    protected static double[] Uniform(int count, double bound, System.Random rng)
    {
        var w = new double[count];
        for (int i = 0; i < w.Length; i++) w[i] = (2 * rng.NextDouble() - 1) * bound;
        return w;
    }

    /// <summary><paramref name="count"/> draws from N(0, std^2).</summary>
    protected static double[] Normal(int count, double std, System.Random rng)
    {
        var w = new double[count];
        for (int i = 0; i < w.Length; i++) w[i] = std * Gaussian.Sample(rng);
        return w;
    }

    private sealed record GlorotUniformInit : Initializer
    {
        public override double[] Weights(int fanOut, int fanIn, System.Random rng) =>
            Uniform(fanOut * fanIn, Math.Sqrt(6.0 / (fanIn + fanOut)), rng);
    }

    private sealed record GlorotNormalInit : Initializer
    {
        public override double[] Weights(int fanOut, int fanIn, System.Random rng) =>
            Normal(fanOut * fanIn, Math.Sqrt(2.0 / (fanIn + fanOut)), rng);
    }

    private sealed record HeNormalInit : Initializer
    {
        public override double[] Weights(int fanOut, int fanIn, System.Random rng) =>
            Normal(fanOut * fanIn, Math.Sqrt(2.0 / fanIn), rng);
    }

    private sealed record HeUniformInit : Initializer
    {
        public override double[] Weights(int fanOut, int fanIn, System.Random rng) =>
            Uniform(fanOut * fanIn, Math.Sqrt(6.0 / fanIn), rng);
    }

    private sealed record TorchDefaultInit : Initializer
    {
        public override double[] Weights(int fanOut, int fanIn, System.Random rng) =>
            Uniform(fanOut * fanIn, 1 / Math.Sqrt(fanIn), rng);

        public override double[] Biases(int fanOut, int fanIn, System.Random rng) => Uniform(fanOut, 1 / Math.Sqrt(fanIn), rng);
    }

    private sealed record SparseInit : Initializer
    {
        private readonly int _nonzeros;
        private readonly double _scale;

        public SparseInit(int nonzeros, double scale)
        {
            if (nonzeros <= 0) throw new ArgumentOutOfRangeException(nameof(nonzeros), nonzeros, "the sparse initialisation needs at least one nonzero per unit");
            if (!(scale > 0)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be positive");
            _nonzeros = nonzeros;
            _scale = scale;
        }

        public override double[] Weights(int fanOut, int fanIn, System.Random rng)
        {
            var w = new double[fanOut * fanIn];
            var positions = new int[fanIn];
            int k = Math.Min(_nonzeros, fanIn);
            for (int unit = 0; unit < fanOut; unit++)
            {
                // Partial Fisher-Yates: the first k entries become k distinct random input positions.
                for (int j = 0; j < fanIn; j++) positions[j] = j;
                for (int j = 0; j < k; j++)
                {
                    int r = j + rng.Next(fanIn - j);
                    (positions[j], positions[r]) = (positions[r], positions[j]);
                    w[unit * fanIn + positions[j]] = _scale * Gaussian.Sample(rng);
                }
            }
            return w;
        }
    }
}

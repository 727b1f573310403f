using Kfac.Layers;

namespace Kfac.Rl.Policies;

/// <summary>
/// Orthogonal weights scaled by a gain, zero biases (Saxe et al. 2014; torch.nn.init.orthogonal_, which
/// Stable-Baselines3 and openai/baselines use for actor-critic networks: gain sqrt 2 in the torso, 0.01 for the
/// policy head, 1 for the value head). A [rows, cols] Gaussian matrix is orthonormalised by modified
/// Gram-Schmidt along its shorter side (rows when rows &lt;= cols, else columns).
/// </summary>
public sealed record OrthogonalInitializer(double Gain) : Initializer
{
    public override double[] Weights(int fanOut, int fanIn, System.Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int rows = fanOut, cols = fanIn;
        bool transpose = rows > cols;
        int n = transpose ? cols : rows, m = transpose ? rows : cols; // n orthonormal vectors of length m
        var q = new double[n * m];
        for (int i = 0; i < q.Length; i++) q[i] = Kfac.Sampling.Gaussian.Sample(rng);
        for (int i = 0; i < n; i++)
        {
            var vi = q.AsSpan(i * m, m);
            for (int j = 0; j < i; j++)
            {
                var vj = q.AsSpan(j * m, m);
                double dot = 0;
                for (int k = 0; k < m; k++) dot += vi[k] * vj[k];
                for (int k = 0; k < m; k++) vi[k] -= dot * vj[k];
            }
            double norm = 0;
            for (int k = 0; k < m; k++) norm += vi[k] * vi[k];
            norm = Math.Sqrt(norm);
            for (int k = 0; k < m; k++) vi[k] /= norm;
        }
        var w = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                w[r * cols + c] = Gain * (transpose ? q[c * m + r] : q[r * m + c]);
        return w;
    }
}

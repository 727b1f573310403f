namespace Kfac.Sampling;

/// <summary>Standard normal samples by the Marsaglia polar method (exact, no tables).</summary>
public static class Gaussian
{
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
}

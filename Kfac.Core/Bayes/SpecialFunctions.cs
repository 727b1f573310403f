namespace Kfac.Bayes;

/// <summary>
/// log Gamma, digamma psi = (log Gamma)' and trigamma psi' in double precision, for the Gamma observation-noise
/// posterior (E[log tau] = psi(a) - log b, KL between Gamma distributions and their gradients).
/// Each uses the recurrence f(x) = f(x + 1) - (term) until x >= 12 and then the asymptotic (Stirling) series,
/// whose first omitted term at x >= 12 is below 2e-13 (Abramowitz and Stegun 6.1.41, 6.3.18, 6.4.12).
/// </summary>
public static class SpecialFunctions
{
    private const double Shift = 12;

    /// <summary>log Gamma(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        Positive(x, nameof(x));
        double acc = 0;
        while (x < Shift)
        {
            acc -= Math.Log(x);
            x += 1;
        }
        double inv = 1 / x, inv2 = inv * inv;
        // (x - 1/2) log x - x + log(2 pi)/2 + 1/(12x) - 1/(360x^3) + 1/(1260x^5) - 1/(1680x^7)
        double series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 / 1680)));
        return acc + (x - 0.5) * Math.Log(x) - x + 0.5 * Math.Log(2 * Math.PI) + series;
    }

    /// <summary>psi(x) = d log Gamma(x) / dx for x &gt; 0.</summary>
    public static double Digamma(double x)
    {
        Positive(x, nameof(x));
        double acc = 0;
        while (x < Shift)
        {
            acc -= 1 / x;
            x += 1;
        }
        double inv = 1 / x, inv2 = inv * inv;
        // log x - 1/(2x) - 1/(12x^2) + 1/(120x^4) - 1/(252x^6) + 1/(240x^8)
        double series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 / 240)));
        return acc + Math.Log(x) - 0.5 * inv - series;
    }

    /// <summary>psi'(x) = d^2 log Gamma(x) / dx^2 for x &gt; 0.</summary>
    public static double Trigamma(double x)
    {
        Positive(x, nameof(x));
        double acc = 0;
        while (x < Shift)
        {
            acc += 1 / (x * x);
            x += 1;
        }
        double inv = 1 / x, inv2 = inv * inv;
        // 1/x + 1/(2x^2) + 1/(6x^3) - 1/(30x^5) + 1/(42x^7) - 1/(30x^9)
        double series = inv * (1 + inv * (0.5 + inv * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (1.0 / 42 - inv2 / 30)))));
        return acc + series;
    }

    private static void Positive(double x, string name)
    {
        if (!(x > 0) || double.IsInfinity(x)) throw new ArgumentOutOfRangeException(name, x, "must be positive and finite");
    }
}

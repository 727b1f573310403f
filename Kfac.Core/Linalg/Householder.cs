using System.Numerics.Tensors;

namespace Kfac.Linalg;

/// <summary>Elementary reflectors H = I - tau [1; v] [1; v]^T (LAPACK dlarfg; Golub &amp; Van Loan, 4th ed., 5.1.3).</summary>
internal static class Householder
{
    /// <summary>
    /// Chooses H so that H [alpha; x] = [beta; 0]: beta = -sign(alpha) ||[alpha; x]||, tau = (beta - alpha) / beta,
    /// v = x / (alpha - beta). On return <paramref name="alpha"/> holds beta and <paramref name="x"/> holds v;
    /// returns tau (0 when x is already zero, i.e. H = I).
    /// </summary>
    public static double Generate(ref double alpha, Span<double> x)
    {
        double xnorm = Norm2(x);
        if (xnorm == 0) return 0;
        double beta = -Math.CopySign(Hypot(alpha, xnorm), alpha);
        double tau = (beta - alpha) / beta;
        TensorPrimitives.Multiply(x, 1.0 / (alpha - beta), x);
        alpha = beta;
        return tau;
    }

    /// <summary>||x||_2 without spurious overflow or underflow (rescales by max |x_i| when the plain sum is unsafe).</summary>
    public static double Norm2(ReadOnlySpan<double> x)
    {
        if (x.IsEmpty) return 0;
        double plain = TensorPrimitives.Norm(x);
        if (plain > 1e-150 && plain < 1e150) return plain;
        double amax = TensorPrimitives.MaxMagnitude(x);
        amax = Math.Abs(amax);
        if (amax == 0 || double.IsInfinity(amax)) return amax;
        double s = 0, inv = 1.0 / amax;
        foreach (double v in x) s += (v * inv) * (v * inv);
        return amax * Math.Sqrt(s);
    }

    /// <summary>sqrt(a^2 + b^2) without overflow or underflow in the squares (LAPACK dlapy2); shared by the
    /// reflectors, the QL rotations and divide and conquer's deflating rotations.</summary>
    internal static double Hypot(double a, double b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        double big = Math.Max(a, b), small = Math.Min(a, b);
        if (big == 0) return 0;
        if (double.IsInfinity(big)) return big;
        double r = small / big;
        return big * Math.Sqrt(1 + r * r);
    }
}

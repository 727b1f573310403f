using System.Buffers;

namespace Kfac.Linalg;

/// <summary>
/// Functions of a symmetric matrix through its eigendecomposition, f(A) = V diag(f(w)) V^T
/// (Higham, "Functions of Matrices", 2008, ch. 1). K-FAC uses the damped inverse powers (A + d I)^p with
/// p = -1 and p = -1/2 (Martens &amp; Grosse 2015, sections 6.3 and appendix B). Results are exactly symmetric.
/// </summary>
public static class SymmetricMatrixFunction
{
    /// <summary>result = f(A) for symmetric A (lower triangle read).</summary>
    public static void Apply(ReadOnlySpan<double> a, int n, Func<double, double> f, Span<double> result, int maxThreads = 0)
    {
        MatrixChecks.Square(a.Length, n, nameof(a));
        MatrixChecks.Square(result.Length, n, nameof(result));
        var w = new double[n];
        var v = new double[n * n];
        SymmetricEigen.Decompose(a, n, w, v, maxThreads);
        FromEigen(w, v, n, f, result, maxThreads);
    }

    /// <summary>result = V diag(f(w)) V^T from a decomposition (eigenvectors as columns of V, n x n), so one
    /// eigendecomposition serves several damping values. <paramref name="result"/> must not overlap the eigenvectors.</summary>
    public static void FromEigen(ReadOnlySpan<double> eigenvalues, ReadOnlySpan<double> eigenvectors, int n,
        Func<double, double> f, Span<double> result, int maxThreads = 0)
    {
        MatrixChecks.Length(eigenvalues.Length, n, nameof(eigenvalues), $"one per column of the {n}x{n} eigenvector matrix");
        MatrixChecks.Square(eigenvectors.Length, n, nameof(eigenvectors));
        MatrixChecks.Square(result.Length, n, nameof(result));
        if (n == 0) return;
        double[] scaled = ArrayPool<double>.Shared.Rent(n * n);
        try
        {
            var fw = new double[n];
            for (int j = 0; j < n; j++) fw[j] = f(eigenvalues[j]);
            var s = scaled.AsSpan(0, n * n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) s[i * n + j] = eigenvectors[i * n + j] * fw[j];
            Blas.Gemm<double>(false, true, n, n, n, 1.0, s, n, eigenvectors, n, 0.0, result, n, maxThreads);
            SymmetricOps.Symmetrize(result, n);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scaled);
        }
    }

    /// <summary>
    /// result = (A + d I)^p. For p &lt; 0 every shifted eigenvalue w_i + d must be &gt; 0, otherwise
    /// <see cref="NotPositiveDefiniteException"/> (PivotIndex = index of the eigenvalue in ascending order).
    /// For non-integer p &gt; 0, shifted eigenvalues down to -16 n eps max|w| (rounding noise on a PSD matrix)
    /// are treated as 0; more negative ones throw. Integer p &gt;= 0 accepts any symmetric A.
    /// </summary>
    public static void Power(ReadOnlySpan<double> a, int n, double p, Span<double> result, double damping = 0, int maxThreads = 0)
    {
        MatrixChecks.Square(a.Length, n, nameof(a));
        MatrixChecks.Square(result.Length, n, nameof(result));
        if (!double.IsFinite(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "the power must be finite.");
        if (!double.IsFinite(damping)) throw new ArgumentOutOfRangeException(nameof(damping), damping, "damping must be finite.");
        var w = new double[n];
        var v = new double[n * n];
        SymmetricEigen.Decompose(a, n, w, v, maxThreads);
        for (int i = 0; i < n; i++) w[i] += damping;
        CheckDomain(w, n, p);
        FromEigen(w, v, n, x => PowerOf(x, p), result, maxThreads);
    }

    /// <summary>result = (A + d I)^-1/2 (A SPD after damping).</summary>
    public static void InverseSquareRoot(ReadOnlySpan<double> a, int n, Span<double> result, double damping = 0, int maxThreads = 0) =>
        Power(a, n, -0.5, result, damping, maxThreads);

    private static void CheckDomain(double[] w, int n, double p)
    {
        bool integer = Math.Floor(p) == p;
        if (integer && p >= 0) return;
        double tolerance = p > 0 ? 16 * n * 2.220446049250313e-16 * w.Max(Math.Abs) : 0;
        for (int i = 0; i < n; i++)
        {
            bool ok = p < 0 ? w[i] > 0 : w[i] >= -tolerance;
            if (!ok)
                throw new NotPositiveDefiniteException(n, i, w[i],
                    FormattableString.Invariant($"eigenvalue {i} of the damped matrix is {w[i]:R}, outside the domain of x^{p}"));
            if (p > 0 && w[i] < 0) w[i] = 0;
        }
    }

    private static double PowerOf(double x, double p) => p switch
    {
        -1 => 1 / x,
        -0.5 => 1 / Math.Sqrt(x),
        0.5 => Math.Sqrt(x),
        1 => x,
        _ => Math.Pow(x, p),
    };
}

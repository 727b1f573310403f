using System.Buffers;

namespace Kfac.Linalg;

/// <summary>
/// Applies (A (x) B - C (x) D)^-1 for SPD A (na x na), B (nb x nb) and symmetric C (na x na), D (nb x nb)
/// without forming the (na nb)^2 matrix: Martens &amp; Grosse 2015, appendix B, used for the conditional
/// covariances Sigma_{i|i+1} of the block-tridiagonal inverse (section 4.3).
///
/// Find K1, S1 with K1^T A K1 = I and K1^T C K1 = S1 = diag(s1) (a generalised symmetric eigenproblem), and
/// K2, S2 likewise for (B, D). Then A (x) B - C (x) D = (K1 (x) K2)^-T (I - S1 (x) S2) (K1 (x) K2)^-1, so
///   (A (x) B - C (x) D)^-1 vec(V) = vec( K2 [ (K2^T V K1) ./ (1 - s2 s1^T) ] K1^T ).
/// The paper takes K1 = A^-1/2 E1 with A^-1/2 C A^-1/2 = E1 S1 E1^T; we whiten with the Cholesky factor
/// instead (A = L L^T, L^-1 C L^-T = E1 S1 E1^T, K1 = L^-T E1; LAPACK dsygst + dsyev). Both satisfy the two
/// congruences, which is all the formula uses, so the operator is the same; Cholesky is cheaper and does not
/// square A's condition number. By Sylvester's law of inertia the operator is positive definite exactly when
/// every 1 - s2_i s1_j &gt; 0, which the constructor requires.
///
/// Precompute once (two Cholesky factorisations, two n^3 eigendecompositions), then <see cref="Apply"/> costs
/// four GEMMs. V and the result are nb x na row-major matrices (vec(V) matches (A (x) B) vec(V) = vec(B V A^T)).
/// </summary>
public sealed class KroneckerDifferenceInverse
{
    private readonly double[] _k1, _k2, _reciprocal;
    private readonly int _maxThreads;

    /// <summary>Order of A and C (the columns of V).</summary>
    public int ColumnCount { get; }

    /// <summary>Order of B and D (the rows of V).</summary>
    public int RowCount { get; }

    /// <summary>Generalised eigenvalues s1 of (C, A), ascending.</summary>
    public IReadOnlyList<double> S1 { get; }

    /// <summary>Generalised eigenvalues s2 of (D, B), ascending.</summary>
    public IReadOnlyList<double> S2 { get; }

    /// <summary>min over i, j of 1 - s2_i s1_j: the smallest eigenvalue of the whitened operator (&gt; 0).</summary>
    public double MinDenominator { get; }

    /// <exception cref="NotPositiveDefiniteException">A or B is not SPD, or A (x) B - C (x) D is not positive definite
    /// (PivotIndex is then the vec index i + j*nb of the first non-positive 1 - s2_i s1_j).</exception>
    public KroneckerDifferenceInverse(ReadOnlySpan<double> a, ReadOnlySpan<double> c, int na,
        ReadOnlySpan<double> b, ReadOnlySpan<double> d, int nb, int maxThreads = 0)
    {
        MatrixChecks.Square(a.Length, na, nameof(a));
        MatrixChecks.Square(c.Length, na, nameof(c));
        MatrixChecks.Square(b.Length, nb, nameof(b));
        MatrixChecks.Square(d.Length, nb, nameof(d));
        MatrixChecks.Finite(a, na, na, na, nameof(a));
        MatrixChecks.Finite(c, na, na, na, nameof(c));
        MatrixChecks.Finite(b, nb, nb, nb, nameof(b));
        MatrixChecks.Finite(d, nb, nb, nb, nameof(d));
        ColumnCount = na;
        RowCount = nb;
        _maxThreads = maxThreads;
        (_k1, var s1) = Whiten(a, c, na, maxThreads);
        (_k2, var s2) = Whiten(b, d, nb, maxThreads);
        S1 = s1;
        S2 = s2;

        _reciprocal = new double[nb * na];
        double min = double.PositiveInfinity;
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < na; j++)
            {
                double denominator = 1 - s2[i] * s1[j];
                if (!(denominator > 0))
                    throw new NotPositiveDefiniteException(na * nb, i + j * nb, denominator,
                        FormattableString.Invariant($"A (x) B - C (x) D: 1 - s2[{i}] s1[{j}] = {denominator:R}"));
                min = Math.Min(min, denominator);
                _reciprocal[i * na + j] = 1 / denominator;
            }
        MinDenominator = na * nb == 0 ? double.PositiveInfinity : min;
    }

    /// <summary>K with K^T P K = I and K^T Q K = diag(s): P = L L^T, L^-1 Q L^-T = E diag(s) E^T, K = L^-T E.</summary>
    private static (double[] K, double[] S) Whiten(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int n, int maxThreads)
    {
        var l = p.ToArray();
        SymmetricOps.Symmetrize<double>(l, n);
        Cholesky.Factor<double>(l, n, n, maxThreads);
        // M = L^-1 Q L^-T: X = L^-1 Q, then M = L^-1 X^T (= L^-1 Q^T L^-T, Q symmetric).
        var x = q.ToArray();
        SymmetricOps.Symmetrize<double>(x, n);
        TriangularSolve.SolveLeft<double>(Triangle.Lower, false, n, n, l, x, maxThreads: maxThreads);
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) m[i * n + j] = x[j * n + i];
        TriangularSolve.SolveLeft<double>(Triangle.Lower, false, n, n, l, m, maxThreads: maxThreads);
        SymmetricOps.Symmetrize<double>(m, n);
        var s = new double[n];
        var e = new double[n * n];
        SymmetricEigen.Decompose(m, n, s, e, maxThreads);
        TriangularSolve.SolveLeft<double>(Triangle.Lower, true, n, n, l, e, maxThreads: maxThreads); // K = L^-T E
        return (e, s);
    }

    /// <summary>result = (A (x) B - C (x) D)^-1 applied to V, as an nb x na matrix: K2 [(K2^T V K1) ./ (1 - s2 s1^T)] K1^T.
    /// <paramref name="result"/> may be the same span as <paramref name="v"/>.</summary>
    public void Apply(ReadOnlySpan<double> v, Span<double> result)
    {
        int na = ColumnCount, nb = RowCount, size = na * nb;
        MatrixChecks.Length(v.Length, size, nameof(v), $"{nb}x{na}");
        MatrixChecks.Length(result.Length, size, nameof(result), $"{nb}x{na}");
        if (size == 0) return;
        double[] buffer = ArrayPool<double>.Shared.Rent(2 * size);
        try
        {
            var t1 = buffer.AsSpan(0, size);
            var t2 = buffer.AsSpan(size, size);
            Blas.Gemm<double>(true, false, nb, na, nb, 1.0, _k2, nb, v, na, 0.0, t1, na, _maxThreads);   // K2^T V
            Blas.Gemm<double>(false, false, nb, na, na, 1.0, t1, na, _k1, na, 0.0, t2, na, _maxThreads); // (K2^T V) K1
            for (int i = 0; i < size; i++) t2[i] *= _reciprocal[i];
            Blas.Gemm<double>(false, false, nb, na, nb, 1.0, _k2, nb, t2, na, 0.0, t1, na, _maxThreads); // K2 (...)
            Blas.Gemm<double>(false, true, nb, na, na, 1.0, t1, na, _k1, na, 0.0, result, na, _maxThreads); // (...) K1^T
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }
}

namespace Kfac.Linalg;

/// <summary>
/// Symmetric eigendecomposition A = V diag(w) V^T in double (LAPACK dsyev: dsytrd + dsteqr + dormtr).
/// Eigenvalues ascending; V orthonormal with eigenvector j in column j (row-major: V[i * n + j]).
/// Only the lower triangle of A is read. Steps: (1) blocked Householder tridiagonalisation A = Q T Q^T,
/// (2) T = Z diag(w) Z^T by divide and conquer (<see cref="TridiagonalDivideConquer"/>, LAPACK dstedc: dsyevd) above
/// 32 rows, else implicit QL with Wilkinson shifts accumulating rotations (and QL for the eigenvalues alone),
/// (3) V = Q Z by blocked WY reflector application. Handles n = 0, 1, zero and diagonal matrices, repeated and negative eigenvalues,
/// and rank-deficient PSD matrices (whose zero eigenvalues come out as O(eps ||A||), possibly negative).
/// Cost about 4n^3/3 (reduction) + at most ~4n^3/3 (divide and conquer's GEMMs, less with deflation; QL's rotations
/// were ~6n^3) + 2n^3 (back-transformation) flops.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>Eigenvalues (ascending) and eigenvectors (columns of <paramref name="eigenvectors"/>, n x n).</summary>
    /// <exception cref="NonFiniteMatrixException">A's lower triangle has NaN or Inf.</exception>
    public static void Decompose(ReadOnlySpan<double> a, int n, Span<double> eigenvalues, Span<double> eigenvectors,
        int maxThreads = 0)
    {
        MatrixChecks.Square(eigenvectors.Length, n, nameof(eigenvectors));
        Run(a, n, eigenvalues, eigenvectors, wantVectors: true, maxThreads);
    }

    /// <summary>Eigenvalues only (ascending): O(n^2) after the O(n^3) reduction.</summary>
    public static void Eigenvalues(ReadOnlySpan<double> a, int n, Span<double> eigenvalues, int maxThreads = 0) =>
        Run(a, n, eigenvalues, Span<double>.Empty, wantVectors: false, maxThreads);

    private static void Run(ReadOnlySpan<double> a, int n, Span<double> w, Span<double> vectors, bool wantVectors, int maxThreads)
    {
        MatrixChecks.Square(a.Length, n, nameof(a));
        MatrixChecks.Length(w.Length, n, "eigenvalues", $"one per row of the {n}x{n} matrix");
        MatrixChecks.Finite(a, n, n, n, nameof(a), lowerOnly: true);
        if (n == 0) return;

        // Scale by a power of two into a safe range (LAPACK dsyev's anrm test); undone on the eigenvalues.
        double amax = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) amax = Math.Max(amax, Math.Abs(a[i * n + j]));
        double scale = amax is > 0 and (< 1e-150 or > 1e150) ? Math.ScaleB(1.0, -Math.ILogB(amax)) : 1.0;

        var work = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) work[i * n + j] = a[i * n + j] * scale;

        var d = new double[n];
        var e = new double[Math.Max(n - 1, 1)];
        var tau = new double[Math.Max(n - 1, 1)];
        Tridiagonalization.Reduce(work, n, d, e, tau, maxThreads);

        double[]? zt = null;
        if (wantVectors && n > TridiagonalDivideConquer.LeafSize)
        {
            // Divide and conquer: its eigenvectors come out as columns of Z; the back-transformation wants Z^T.
            var z = new double[n * n];
            TridiagonalDivideConquer.Solve(d, e, z, n, maxThreads);
            zt = new double[n * n];
            Transpose.Copy<double>(z, n, n, n, zt, n);
        }
        else
        {
            if (wantVectors)
            {
                zt = new double[n * n];
                for (int i = 0; i < n; i++) zt[i * n + i] = 1;
            }
            TridiagonalQl.Solve(d, e, zt, n, maxThreads);
        }

        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = (double[])d.Clone();
        Array.Sort(keys, order);
        for (int j = 0; j < n; j++) w[j] = keys[j] / scale;
        if (!wantVectors) return;

        HouseholderBackTransform.Apply(work, tau, n, zt, maxThreads);
        // Row order[j] of Vt is the eigenvector of the j-th smallest eigenvalue: V[i, j] = Vt[order[j], i].
        for (int j = 0; j < n; j++)
        {
            var row = zt.AsSpan(order[j] * n, n);
            for (int i = 0; i < n; i++) vectors[i * n + j] = row[i];
        }
    }
}

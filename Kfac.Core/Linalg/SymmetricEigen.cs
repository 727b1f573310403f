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

        // The n x n scratch matrices come from the shared pool: at n ~ 1000 each is 8 MB, and fresh large-object arrays
        // on every call cost page faults and full collections (which also pause the threads not decomposing).
        var pool = System.Buffers.ArrayPool<double>.Shared;
        bool divideAndConquer = wantVectors && n > TridiagonalDivideConquer.LeafSize;
        var work = pool.Rent(n * n);
        var zt = wantVectors ? pool.Rent(n * n) : null;
        var z = divideAndConquer ? pool.Rent(n * n) : null;
        try
        {
            Solve(a, n, scale, w, vectors, work, zt, z, maxThreads);
        }
        finally
        {
            pool.Return(work);
            if (zt is not null) pool.Return(zt);
            if (z is not null) pool.Return(z);
        }
    }

    /// <summary>Steps (1)-(3) on scratch arrays of at least n x n (rows of length n): <paramref name="ztArray"/> null
    /// for eigenvalues only, <paramref name="zArray"/> non-null for divide and conquer.</summary>
    private static void Solve(ReadOnlySpan<double> a, int n, double scale, Span<double> w, Span<double> vectors,
        double[] workArray, double[]? ztArray, double[]? zArray, int maxThreads)
    {
        var work = workArray.AsSpan(0, n * n);
        work.Clear();
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) work[i * n + j] = a[i * n + j] * scale;

        var d = new double[n];
        var e = new double[Math.Max(n - 1, 1)];
        var tau = new double[Math.Max(n - 1, 1)];
        Tridiagonalization.Reduce(work, n, d, e, tau, maxThreads);

        var zt = ztArray is null ? Span<double>.Empty : ztArray.AsSpan(0, n * n);
        if (zArray is not null)
        {
            // Divide and conquer: its eigenvectors come out as columns of Z; the back-transformation wants Z^T.
            var z = zArray.AsSpan(0, n * n);
            TridiagonalDivideConquer.Solve(d, e, z, n, maxThreads);
            Transpose.Copy<double>(z, n, n, n, zt, n);
        }
        else
        {
            if (ztArray is not null)
            {
                zt.Clear();
                for (int i = 0; i < n; i++) zt[i * n + i] = 1;
            }
            TridiagonalQl.Solve(d, e, ztArray, n, maxThreads); // rows of length n; the rented array may be longer
        }

        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = (double[])d.Clone();
        Array.Sort(keys, order);
        for (int j = 0; j < n; j++) w[j] = keys[j] / scale;
        if (ztArray is null) return;

        HouseholderBackTransform.Apply(work, tau, n, zt, maxThreads);
        // Row order[j] of Vt is the eigenvector of the j-th smallest eigenvalue: V[i, j] = Vt[order[j], i]. In blocks of
        // 8 columns of V: 8 rows of Vt are read as streams and each row of V gets one 64-byte run (a whole column of V
        // at a time would write one element per cache line).
        const int block = 8;
        for (int j0 = 0; j0 < n; j0 += block)
        {
            int jb = Math.Min(block, n - j0);
            for (int i = 0; i < n; i++)
            {
                var dst = vectors.Slice(i * n + j0, jb);
                for (int jj = 0; jj < jb; jj++) dst[jj] = zt[order[j0 + jj] * n + i];
            }
        }
    }
}

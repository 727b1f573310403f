namespace Kfac.Linalg;

/// <summary>
/// Eigenvalues (and optionally eigenvectors) of a symmetric tridiagonal matrix by the implicit QL iteration
/// with Wilkinson shifts (LAPACK dsteqr; Golub &amp; Van Loan, 4th ed., 8.3.5; the QL form as in EISPACK
/// tql2 / Numerical Recipes tqli). Each sweep chases the bulge from the bottom of the unreduced block
/// [l, m] up with Givens rotations; a subdiagonal entry is set to zero once
/// |e_k| &lt;= eps (|d_k| + |d_k+1|), which keeps small eigenvalues relatively accurate.
///
/// Eigenvectors: the rotations act on columns of Z, i.e. on rows of Zt = Z^T (contiguous in row-major).
/// They are recorded and applied in batches of whole sweeps, column chunk by column chunk, so a chunk of Zt
/// stays in cache across many sweeps and chunks run in parallel (the "apply a sequence of rotations" of dlasr).
/// </summary>
internal static class TridiagonalQl
{
    private const int MaxIterationsPerEigenvalue = 30;

    /// <param name="d">n diagonal entries; on return the eigenvalues (unsorted).</param>
    /// <param name="e">n - 1 subdiagonal entries (e[k] = T[k+1, k]); destroyed.</param>
    /// <param name="zt">null, or n x n with rows = columns of the initial Z; on return row j of Zt holds the
    /// eigenvector of eigenvalue d[j] (Z := Z G_1 G_2 ..., each G a rotation).</param>
    public static void Solve(Span<double> d, Span<double> e, double[]? zt, int n, int maxThreads)
    {
        if (n <= 1) return;
        var sub = new double[n];
        e[..(n - 1)].CopyTo(sub);

        // Scale by a power of two (exact) so that max |T_ij| is in [0.5, 1): nothing below can overflow.
        double anorm = 0;
        for (int i = 0; i < n; i++) anorm = Math.Max(anorm, Math.Max(Math.Abs(d[i]), Math.Abs(sub[i])));
        if (anorm == 0) return;
        double scale = Math.ScaleB(1.0, -Math.ILogB(anorm) - 1);
        for (int i = 0; i < n; i++)
        {
            d[i] *= scale;
            sub[i] *= scale;
        }

        var rotations = zt is null ? null : new RotationBatch(zt, n, maxThreads);
        const double eps = 2.220446049250313e-16, tiny = 1e-290;
        int iterations = 0, maxIterations = MaxIterationsPerEigenvalue * n;
        for (int l = 0; l < n; l++)
        {
            while (true)
            {
                int m = l;
                for (; m < n - 1; m++)
                {
                    double dd = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(sub[m]) <= eps * dd || Math.Abs(sub[m]) <= tiny)
                    {
                        sub[m] = 0;
                        break;
                    }
                }
                if (m == l) break;
                if (++iterations > maxIterations)
                    throw new NotConvergedException(
                        $"Symmetric tridiagonal QL did not converge in {maxIterations} iterations (n = {n}, eigenvalue {l}).");

                // Wilkinson shift: the eigenvalue of the leading 2x2 block [d_l e_l; e_l d_l+1] closer to d_l.
                double g = (d[l + 1] - d[l]) / (2.0 * sub[l]);
                double r = Householder.Hypot(g, 1.0);
                g = d[m] - d[l] + sub[l] / (g + Math.CopySign(r, g));
                double s = 1, c = 1, p = 0;
                int i = m - 1;
                bool underflow = false;
                for (; i >= l; i--)
                {
                    double f = s * sub[i], b = c * sub[i];
                    r = Householder.Hypot(f, g);
                    sub[i + 1] = r;
                    if (r == 0)
                    {
                        // Recover from underflow: deflate at i+1 and restart the search.
                        d[i + 1] -= p;
                        sub[m] = 0;
                        underflow = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2.0 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                    rotations?.Add(i, c, s);
                }
                if (underflow) continue;
                d[l] -= p;
                sub[l] = g;
                sub[m] = 0;
            }
        }
        rotations?.Flush();
        for (int i = 0; i < n; i++) d[i] /= scale;
    }
}

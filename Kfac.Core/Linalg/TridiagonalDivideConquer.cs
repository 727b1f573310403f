namespace Kfac.Linalg;

/// <summary>
/// Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by Cuppen's divide and conquer (LAPACK dstedc /
/// dlaed0-dlaed4; Cuppen 1981, with the deflation of Dongarra &amp; Sorensen 1987 and the eigenvectors of Gu &amp;
/// Eisenstat 1995, "A divide-and-conquer algorithm for the symmetric tridiagonal eigenproblem").
/// <para>
/// Split T at m with beta = T[m, m-1]: T = diag(T1, T2) + |beta| v v^T, v = e_{m-1} + sign(beta) e_m, where T1 and T2
/// have |beta| subtracted from their touching diagonal entries. With T1 = Q1 D1 Q1^T and T2 = Q2 D2 Q2^T (recursively),
/// T = diag(Q1, Q2) (D + rho z z^T) diag(Q1, Q2)^T with z = [Q1^T e_{m-1}; sign(beta) Q2^T e_0] / sqrt 2 and
/// rho = 2 |beta|. The rank-one update's eigenvalues are the roots of the secular equation
/// f(lambda) = 1 + rho sum_i z_i^2 / (d_i - lambda), one in each gap (d_i, d_i+1) and the last in (d_K, d_K + rho |z|^2);
/// its eigenvectors are (D - lambda I)^-1 z_hat with z_hat recomputed from the computed roots (Gu-Eisenstat), which
/// keeps them orthogonal to working precision however close the roots. Components with rho |z_i| below the tolerance,
/// and pairs of nearly equal d_i (removed by a rotation), deflate: their eigenpairs are those of D. The merged
/// eigenvectors are diag(Q1, Q2) [columns not deflated] x U, one GEMM per row block over the columns nonzero in it,
/// so the work is about 4n^3/3 flops of level 3 over the recursion
/// (less with deflation, which K-FAC's nearly rank-deficient factors have plenty of), against ~6n^3 of rotations for QL.
/// Leaves of <see cref="LeafSize"/> rows or fewer use <see cref="TridiagonalQl"/>.
/// </para>
/// </summary>
internal static class TridiagonalDivideConquer
{
    /// <summary>Subproblems of at most this many rows are solved by implicit QL.</summary>
    public const int LeafSize = 32;

    private const double Eps = 2.220446049250313e-16;

    /// <param name="d">n diagonal entries; on return the eigenvalues (unsorted).</param>
    /// <param name="e">n - 1 subdiagonal entries (e[k] = T[k+1, k]); not modified.</param>
    /// <param name="q">n x n, output only: column j (row-major, q[i * n + j]) is the unit eigenvector of d[j].</param>
    public static void Solve(Span<double> d, ReadOnlySpan<double> e, Span<double> q, int n, int maxThreads)
    {
        MatrixChecks.Square(q.Length, n, nameof(q));
        if (n == 0) return;
        var dd = d[..n].ToArray();
        var ee = new double[Math.Max(n - 1, 1)];
        e[..Math.Max(n - 1, 0)].CopyTo(ee);
        // Scale by a power of two (exact) so that max |T_ij| is in [0.5, 1); undone on the eigenvalues.
        double anorm = 0;
        for (int i = 0; i < n; i++) anorm = Math.Max(anorm, Math.Abs(dd[i]));
        for (int i = 0; i < n - 1; i++) anorm = Math.Max(anorm, Math.Abs(ee[i]));
        double scale = anorm == 0 ? 1 : Math.ScaleB(1.0, -Math.ILogB(anorm) - 1);
        for (int i = 0; i < n; i++) dd[i] *= scale;
        for (int i = 0; i < n - 1; i++) ee[i] *= scale;
        Recurse(dd, ee, 0, n, q, maxThreads);
        for (int i = 0; i < n; i++) d[i] = dd[i] / scale;
    }

    /// <summary>Eigenpairs of the tridiagonal block rows [off, off + n): eigenvalues into d[off..], eigenvectors into q
    /// (n x n, columns).</summary>
    private static void Recurse(double[] d, double[] e, int off, int n, Span<double> q, int maxThreads)
    {
        if (n <= LeafSize)
        {
            Leaf(d, e, off, n, q);
            return;
        }
        int m = n / 2;
        double beta = e[off + m - 1];
        double rho = Math.Abs(beta);
        d[off + m - 1] -= rho;
        d[off + m] -= rho;
        var q1 = new double[m * m];
        var q2 = new double[(n - m) * (n - m)];
        Recurse(d, e, off, m, q1, maxThreads);
        Recurse(d, e, off + m, n - m, q2, maxThreads);

        // z = [last row of Q1; sign(beta) first row of Q2] / sqrt 2, rho = 2 |beta|: |z| = 1.
        var z = new double[n];
        double sign = beta < 0 ? -1 : 1, r2 = 1 / Math.Sqrt(2);
        for (int j = 0; j < m; j++) z[j] = q1[(m - 1) * m + j] * r2;
        for (int j = 0; j < n - m; j++) z[m + j] = sign * q2[j] * r2;
        Merge(d.AsSpan(off, n), z, 2 * rho, q1, m, q2, n - m, q, maxThreads);
    }

    private static void Leaf(double[] d, double[] e, int off, int n, Span<double> q)
    {
        var zt = new double[n * n];
        for (int i = 0; i < n; i++) zt[i * n + i] = 1;
        var sub = new double[Math.Max(n - 1, 1)];
        Array.Copy(e, off, sub, 0, Math.Max(n - 1, 0));
        TridiagonalQl.Solve(d.AsSpan(off, n), sub, zt, n, 1);
        // Row j of Zt is eigenvector j: q[:, j].
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) q[i * n + j] = zt[j * n + i];
    }

    /// <summary>
    /// Eigenpairs of diag(Q1, Q2) (D + rho z z^T) diag(Q1, Q2)^T given D (the two halves' eigenvalues, in d), z and
    /// rho &gt;= 0: the eigenvalues into d, the eigenvectors into q (n x n, columns; the non-deflated ones first).
    /// </summary>
    private static void Merge(Span<double> d, double[] z, double rho, double[] q1, int n1, double[] q2, int n2, Span<double> q, int maxThreads)
    {
        // Qhat (n x n, zero outside the two diagonal blocks) from the shared pool: at the top levels of a large problem it
        // is megabytes, and a fresh large array per merge costs page faults and collections.
        int n = n1 + n2;
        var qhat = System.Buffers.ArrayPool<double>.Shared.Rent(n * n);
        try
        {
            Array.Clear(qhat, 0, n * n);
            Merge(d, z, rho, q1, n1, q2, n2, q, qhat, maxThreads);
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(qhat);
        }
    }

    /// <summary><see cref="Merge(Span{double}, double[], double, double[], int, double[], int, Span{double}, int)"/> with
    /// <paramref name="qhat"/> (rows of n, zeroed) as scratch.</summary>
    private static void Merge(Span<double> d, double[] z, double rho, double[] q1, int n1, double[] q2, int n2, Span<double> q,
        double[] qhat, int maxThreads)
    {
        int n = n1 + n2;
        // Qhat = diag(Q1, Q2), its columns reordered so that D ascends.
        var order = new int[n];
        var keys = d.ToArray();
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(keys, order);
        var dz = new double[n];
        var zs = new double[n];
        // Which row blocks a column of Qhat can be nonzero in: 1 = Q1's rows, 2 = Q2's, 3 = both (after a deflating
        // rotation mixed a column of each), so the product below skips the zero blocks (dlaed2's column types).
        var rows = new byte[n];
        for (int c = 0; c < n; c++)
        {
            int src = order[c];
            dz[c] = d[src];
            zs[c] = z[src];
            rows[c] = src < n1 ? (byte)1 : (byte)2;
        }
        // Filled row by row (a gather within one row of Q1 or Q2 per row of Qhat): writing Qhat column by column strides
        // through n rows per column, a cache miss per element at n ~ 1000.
        for (int i = 0; i < n1; i++)
        {
            int row = i * n, from = i * n1;
            for (int c = 0; c < n; c++)
                if (order[c] < n1) qhat[row + c] = q1[from + order[c]];
        }
        for (int i = 0; i < n2; i++)
        {
            int row = (n1 + i) * n, from = i * n2 - n1;
            for (int c = 0; c < n; c++)
                if (order[c] >= n1) qhat[row + c] = q2[from + order[c]];
        }

        // Deflation (dlaed2): tol = 8 eps max(|d|, |z|) on the unit-norm z.
        double dmax = 0, zmax = 0;
        for (int i = 0; i < n; i++)
        {
            dmax = Math.Max(dmax, Math.Abs(dz[i]));
            zmax = Math.Max(zmax, Math.Abs(zs[i]));
        }
        double tol = 8 * Eps * Math.Max(dmax, zmax);
        var deflated = new bool[n];
        int previous = -1;
        for (int j = 0; j < n; j++)
        {
            if (rho * Math.Abs(zs[j]) <= tol)
            {
                deflated[j] = true;
                continue;
            }
            if (previous >= 0)
            {
                // A rotation in the plane (previous, j) zeroes z_previous; deflate it when the coupling it leaves,
                // (d_j - d_previous) c s, is below tol.
                double s = zs[previous], c = zs[j];
                double tau = Householder.Hypot(c, s);
                c /= tau;
                s = -s / tau;
                double t = dz[j] - dz[previous];
                if (Math.Abs(t * c * s) <= tol)
                {
                    zs[j] = tau;
                    zs[previous] = 0;
                    RotateColumns(qhat, n, previous, j, c, s);
                    rows[j] |= rows[previous];
                    rows[previous] = rows[j];
                    double dp = dz[previous] * c * c + dz[j] * s * s;
                    dz[j] = dz[previous] * s * s + dz[j] * c * c;
                    dz[previous] = dp;
                    deflated[previous] = true;
                }
            }
            previous = j;
        }

        int k = 0;
        for (int j = 0; j < n; j++) if (!deflated[j]) k++;
        var delta = new double[k];
        var w = new double[k];
        var columns = new int[k];
        for (int j = 0, i = 0; j < n; j++)
        {
            if (deflated[j]) continue;
            delta[i] = dz[j];
            w[i] = zs[j];
            columns[i++] = j;
        }
        // delta must ascend strictly for the secular equation; rotations above moved entries by at most ~tol, which
        // can reorder near-equal ones: sort again (stable for the columns).
        SortTogether(delta, w, columns);

        // Non-deflated eigenvectors: Qhat's columns times the secular eigenvectors U (k x k), one GEMM per row block
        // over the columns that are nonzero in it (about half the flops of the whole n x k by k x k product).
        var lambda = new double[k];
        if (k > 0)
        {
            var u = SecularEigenvectors(delta, w, rho, lambda);
            BlockProduct(qhat, n, 0, n1, 1, columns, rows, u, k, q, maxThreads);
            BlockProduct(qhat, n, n1, n2, 2, columns, rows, u, k, q, maxThreads);
        }
        for (int c = 0; c < k; c++) d[c] = lambda[c];
        // Deflated eigenpairs after the others: column j of Qhat into column c of q, copied row by row.
        var deflatedColumns = new int[n - k];
        for (int j = 0, c = k; j < n; j++)
        {
            if (!deflated[j]) continue;
            d[c] = dz[j];
            deflatedColumns[c - k] = j;
            c++;
        }
        if (deflatedColumns.Length > 0)
            for (int i = 0; i < n; i++)
            {
                int row = i * n;
                for (int c = 0; c < deflatedColumns.Length; c++) q[row + k + c] = qhat[row + deflatedColumns[c]];
            }
    }

    /// <summary>q[rows first .. first + count, 0 .. k) = Qhat[those rows, the non-deflated columns nonzero there] x the
    /// matching rows of U.</summary>
    private static void BlockProduct(double[] qhat, int n, int first, int count, byte block, int[] columns, byte[] rows,
        double[] u, int k, Span<double> q, int maxThreads)
    {
        if (count == 0) return;
        var used = new List<int>(k);
        for (int c = 0; c < k; c++) if ((rows[columns[c]] & block) != 0) used.Add(c);
        int m = used.Count;
        if (m == 0)
        {
            for (int i = 0; i < count; i++) q.Slice((first + i) * n, k).Clear();
            return;
        }
        var a = new double[count * m];
        var b = new double[m * k];
        for (int i = 0; i < count; i++)
        {
            int row = (first + i) * n;
            for (int c = 0; c < m; c++) a[i * m + c] = qhat[row + columns[used[c]]];
        }
        for (int c = 0; c < m; c++) Array.Copy(u, used[c] * k, b, c * k, k);
        Blas.Gemm(false, false, count, k, m, 1.0, a, m, b, k, 0.0, q[(first * n)..], n, maxThreads);
    }

    private static void RotateColumns(double[] a, int n, int p, int j, double c, double s)
    {
        for (int i = 0; i < n; i++)
        {
            int row = i * n;
            double x = a[row + p], y = a[row + j];
            a[row + p] = c * x + s * y;
            a[row + j] = c * y - s * x;
        }
    }

    private static void SortTogether(double[] keys, double[] w, int[] columns)
    {
        int k = keys.Length;
        bool sorted = true;
        for (int i = 1; i < k && sorted; i++) sorted = keys[i] > keys[i - 1];
        if (sorted) return;
        var idx = new int[k];
        for (int i = 0; i < k; i++) idx[i] = i;
        var copy = (double[])keys.Clone();
        Array.Sort(copy, idx);
        var w2 = (double[])w.Clone();
        var c2 = (int[])columns.Clone();
        for (int i = 0; i < k; i++)
        {
            keys[i] = copy[i];
            w[i] = w2[idx[i]];
            columns[i] = c2[idx[i]];
        }
    }

    /// <summary>
    /// The roots lambda (ascending) of 1 + rho sum z_i^2 / (delta_i - lambda) for ascending delta and nonzero z, rho &gt; 0,
    /// and the k x k matrix U (row-major) whose column j is the unit eigenvector of D + rho z z^T for lambda_j, formed
    /// from z_hat (Gu-Eisenstat) so that the columns are orthogonal to working precision.
    /// </summary>
    internal static double[] SecularEigenvectors(double[] delta, double[] z, double rho, double[] lambda)
    {
        int k = delta.Length;
        var u = new double[k * k];
        if (k == 1)
        {
            lambda[0] = delta[0] + rho * z[0] * z[0];
            u[0] = 1;
            return u;
        }
        // Each root as origin + tau with origin one of the poles next to it, so that delta_i - lambda_j is formed as
        // (delta_i - delta_origin) - tau without cancellation.
        var origin = new int[k];
        var tau = new double[k];
        var shifted = new double[k];
        for (int j = 0; j < k; j++)
        {
            (origin[j], tau[j]) = SecularRoot(delta, z, rho, j, shifted);
            lambda[j] = delta[origin[j]] + tau[j];
        }

        // z_hat_i^2 = (lambda_last - delta_i) / rho * prod_{j<i} (delta_i - lambda_j) / (delta_i - delta_j)
        //                                            * prod_{i<=j<k-1} (lambda_j - delta_i) / (delta_j+1 - delta_i).
        var zhat = new double[k];
        for (int i = 0; i < k; i++)
        {
            double p = -Difference(delta, origin, tau, i, k - 1) / rho;
            for (int j = 0; j < i; j++) p *= Difference(delta, origin, tau, i, j) / (delta[i] - delta[j]);
            for (int j = i; j < k - 1; j++) p *= -Difference(delta, origin, tau, i, j) / (delta[j + 1] - delta[i]);
            zhat[i] = Math.CopySign(Math.Sqrt(Math.Max(p, 0)), z[i]);
        }
        for (int j = 0; j < k; j++)
        {
            double norm = 0;
            for (int i = 0; i < k; i++)
            {
                double v = zhat[i] / Difference(delta, origin, tau, i, j);
                u[i * k + j] = v;
                norm += v * v;
            }
            double inv = 1 / Math.Sqrt(norm);
            for (int i = 0; i < k; i++) u[i * k + j] *= inv;
        }
        return u;
    }

    /// <summary>delta_i - lambda_j, as (delta_i - delta_origin(j)) - tau_j.</summary>
    private static double Difference(double[] delta, int[] origin, double[] tau, int i, int j) =>
        (delta[i] - delta[origin[j]]) - tau[j];

    /// <summary>
    /// Root j of the secular equation, as (origin, tau) with lambda_j = delta[origin] + tau: the origin is the pole of
    /// the gap's half that holds the root (the last root's origin is the last pole). Safeguarded iteration on a
    /// two-pole rational model of f fitted to its value and slope at the current point (the middle way of Li 1993 /
    /// dlaed4, simplified), bisection when the model's root leaves the bracket.
    /// </summary>
    private static (int Origin, double Tau) SecularRoot(double[] delta, double[] z, double rho, int j, double[] shifted)
    {
        int k = delta.Length;
        bool last = j == k - 1;
        int origin;
        double lo, hi;
        if (last)
        {
            double norm = 0;
            for (int i = 0; i < k; i++) norm += z[i] * z[i];
            origin = j;
            lo = 0;
            hi = rho * norm;
        }
        else
        {
            double gap = delta[j + 1] - delta[j];
            // f at the gap's midpoint decides the half (f increases across the gap).
            double f = 1;
            for (int i = 0; i < k; i++) f += rho * z[i] * z[i] / ((delta[i] - delta[j]) - gap / 2);
            if (f >= 0)
            {
                origin = j;
                (lo, hi) = (0, gap / 2);
            }
            else
            {
                origin = j + 1;
                (lo, hi) = (-gap / 2, 0);
            }
        }
        for (int i = 0; i < k; i++) shifted[i] = delta[i] - delta[origin];
        // The poles bounding the root's gap, in shifted coordinates (the last root has none on its right).
        double a = shifted[j];
        double b = last ? double.PositiveInfinity : shifted[j + 1];
        double x = last ? hi / 2 : (lo + hi) / 2;
        if (x == 0) x = lo != 0 ? lo / 2 : hi / 2;
        for (int iteration = 0; iteration < 100; iteration++)
        {
            // f = 1 + psi + phi: psi over the poles at or left of the gap (i <= j), phi over those right of it.
            double psi = 0, dpsi = 0, phi = 0, dphi = 0, scaleSum = 0;
            for (int i = 0; i <= j; i++)
            {
                double t = z[i] / (shifted[i] - x);
                double term = rho * z[i] * t;
                psi += term;
                dpsi += rho * t * t;
                scaleSum += Math.Abs(term);
            }
            for (int i = j + 1; i < k; i++)
            {
                double t = z[i] / (shifted[i] - x);
                double term = rho * z[i] * t;
                phi += term;
                dphi += rho * t * t;
                scaleSum += Math.Abs(term);
            }
            double f = 1 + psi + phi;
            if (f < 0) lo = x; else hi = x;
            if (Math.Abs(f) <= 8 * Eps * (1 + scaleSum) * Math.Max(1, k / 8.0) || f == 0) return (origin, x);
            if (hi - lo <= 2 * Eps * Math.Max(Math.Abs(lo), Math.Abs(hi))) return (origin, (lo + hi) / 2);

            // Model: psi ~ P / (a - y) + cPsi, phi ~ R / (b - y) + cPhi, matched in value and slope at x.
            double da = a - x;
            double p = dpsi * da * da, cPsi = psi - dpsi * da;
            double next;
            if (last)
            {
                // 1 + cPsi + phi + P / (a - y) = 0 (phi has no pole to its right: kept as a constant).
                double c = 1 + cPsi + phi;
                next = c > 0 ? a + p / c : double.NaN;
            }
            else
            {
                double db = b - x;
                double r = dphi * db * db, cPhi = phi - dphi * db;
                double c = 1 + cPsi + cPhi;
                next = ModelRoot(c, p, r, a, b);
            }
            x = next > lo && next < hi ? next : (lo + hi) / 2;
        }
        return (origin, x);
    }

    /// <summary>The root in (a, b) of c + p / (a - y) + r / (b - y) = 0 (p, r &gt; 0): of
    /// c y^2 - (c (a + b) + p + r) y + c a b + p b + r a = 0.</summary>
    private static double ModelRoot(double c, double p, double r, double a, double b)
    {
        double bb = c * (a + b) + p + r, cc = c * a * b + p * b + r * a;
        if (Math.Abs(c) <= 1e-300) return bb != 0 ? cc / bb : double.NaN;
        double disc = bb * bb - 4 * c * cc;
        if (disc < 0) return double.NaN;
        double sq = Math.Sqrt(disc);
        // Stable pair: y1 = (bb + sign(bb) sq) / (2c), y2 = cc / (c y1).
        double t = bb >= 0 ? bb + sq : bb - sq;
        double y1 = t / (2 * c), y2 = t != 0 ? 2 * cc / t : double.NaN;
        bool in1 = y1 > a && y1 < b, in2 = y2 > a && y2 < b;
        return in1 ? y1 : in2 ? y2 : double.NaN;
    }
}

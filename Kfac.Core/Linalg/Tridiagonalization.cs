using System.Numerics.Tensors;

namespace Kfac.Linalg;

/// <summary>
/// Householder reduction of a symmetric matrix to tridiagonal form, A = Q T Q^T (LAPACK dsytrd with dlatrd,
/// uplo = 'L'; Golub &amp; Van Loan, 4th ed., 8.3.1). Q = H_0 H_1 ... H_{n-2}, H_k = I - tau_k v_k v_k^T with
/// v_k zero above row k+1, v_k[k+1] = 1 and v_k[k+2..n) stored in column k of A below the subdiagonal.
///
/// Blocked as in dlatrd: within a panel of nb columns the reflectors are generated one by one against the
/// matrix as left by the previous panels, with the panel's own updates A - V W^T - W V^T applied lazily to the
/// current column and to the symmetric product A v; after the panel the trailing matrix gets the rank-2nb
/// update A -= V W^T + W V^T in one GEMM (k = 2nb) per block row, lower triangle only. Half of the 4n^3/3
/// flops are that GEMM, the other half the one-pass symmetric mat-vec (memory bound).
///
/// Row-major, lower triangle read; the panel vectors are kept as rows (contiguous) of V and W.
/// </summary>
internal static class Tridiagonalization
{
    internal const int PanelWidth = 32;
    private const int UpdateRowBlock = 256;

    /// <param name="a">n x n, lower triangle: overwritten by the reflectors (strictly below the subdiagonal).</param>
    /// <param name="d">the n diagonal entries of T.</param>
    /// <param name="e">the n - 1 subdiagonal entries of T (e[k] = T[k+1, k]).</param>
    /// <param name="tau">the n - 1 reflector scalars.</param>
    public static void Reduce(Span<double> a, int n, Span<double> d, Span<double> e, Span<double> tau, int maxThreads,
        int panelWidth = PanelWidth)
    {
        if (n == 0) return;
        int nb = Math.Clamp(panelWidth, 1, n);
        var v = new double[nb * n];
        var w = new double[nb * n];
        var x = new double[n];
        var partial = new double[SymmetricMatVec.ThreadsFor(n, maxThreads) * n];
        double[]? x1 = null, x2 = null;

        for (int p = 0; p < n; p += nb)
        {
            int pb = Math.Min(nb, n - p), m = n - p;
            // Rows of V and W are the panel's vectors over the local rows r = 0..m-1 (global row p + r).
            Array.Clear(v, 0, pb * m);
            Array.Clear(w, 0, pb * m);
            for (int t = 0; t < pb; t++)
            {
                int j = p + t, len = m - t;
                var col = x.AsSpan(0, len);
                for (int r = 0; r < len; r++) col[r] = a[(j + r) * n + j];
                // Column j of A - V W^T - W V^T over rows j..n-1.
                for (int s = 0; s < t; s++)
                {
                    var vs = v.AsSpan(s * m + t, len);
                    var ws = w.AsSpan(s * m + t, len);
                    TensorPrimitives.MultiplyAdd(vs, -w[s * m + t], col, col);
                    TensorPrimitives.MultiplyAdd(ws, -v[s * m + t], col, col);
                }
                d[j] = col[0];
                if (j == n - 1) break;

                double alpha = col[1];
                var tail = col[2..];
                double tj = Householder.Generate(ref alpha, tail);
                e[j] = alpha;
                tau[j] = tj;
                for (int r = 2; r < len; r++) a[(j + r) * n + j] = col[r];

                // v_t over local rows t+1..m-1.
                var vt = v.AsSpan(t * m + t + 1, len - 1);
                vt[0] = 1;
                tail.CopyTo(vt[1..]);
                if (tj == 0) continue; // H = I: w_t = 0 keeps every later formula valid.

                // w_t = tau (A - V W^T - W V^T) v_t over rows j+1..n-1, then w_t -= (tau/2)(w_t . v_t) v_t.
                var wt = w.AsSpan(t * m + t + 1, len - 1);
                SymmetricMatVec.Lower(a.Slice((j + 1) * n + j + 1), n, len - 1, vt, wt, partial, maxThreads);
                for (int s = 0; s < t; s++)
                {
                    var vs = v.AsSpan(s * m + t + 1, len - 1);
                    var ws = w.AsSpan(s * m + t + 1, len - 1);
                    double wsv = TensorPrimitives.Dot<double>(ws, vt), vsv = TensorPrimitives.Dot<double>(vs, vt);
                    TensorPrimitives.MultiplyAdd(vs, -wsv, wt, wt);
                    TensorPrimitives.MultiplyAdd(ws, -vsv, wt, wt);
                }
                TensorPrimitives.Multiply(wt, tj, wt);
                double half = -0.5 * tj * TensorPrimitives.Dot<double>(wt, vt);
                TensorPrimitives.MultiplyAdd(vt, half, wt, wt);
            }

            int m2 = m - pb;
            if (m2 <= 0) break;
            // Trailing update A22 -= V W^T + W V^T = [V; W]^T [W; V] over local rows/cols pb..m-1, lower part:
            // block row [r0, r1) needs columns [0, r1) only.
            int k2 = 2 * pb;
            if (x1 is null || x1.Length < k2 * m2)
            {
                x1 = new double[k2 * m2];
                x2 = new double[k2 * m2];
            }
            for (int s = 0; s < pb; s++)
            {
                v.AsSpan(s * m + pb, m2).CopyTo(x1.AsSpan(s * m2, m2));
                w.AsSpan(s * m + pb, m2).CopyTo(x1.AsSpan((pb + s) * m2, m2));
                w.AsSpan(s * m + pb, m2).CopyTo(x2!.AsSpan(s * m2, m2));
                v.AsSpan(s * m + pb, m2).CopyTo(x2.AsSpan((pb + s) * m2, m2));
            }
            var c = a.Slice((p + pb) * n + p + pb);
            for (int r0 = 0; r0 < m2; r0 += UpdateRowBlock)
            {
                int r1 = Math.Min(m2, r0 + UpdateRowBlock);
                Blas.Gemm<double>(true, false, r1 - r0, r1, k2, -1.0, x1.AsSpan(r0), m2, x2, m2, 1.0,
                    c.Slice(r0 * n), n, maxThreads);
            }
        }
    }
}

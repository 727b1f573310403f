using System.Numerics.Tensors;

namespace Kfac.Linalg;

/// <summary>
/// Applies Q^T from <see cref="Tridiagonalization"/> on the right, Vt := Zt Q^T, so that the rows of Vt are the
/// eigenvectors of A when the rows of Zt are those of T (V = Q Z; LAPACK dormtr). Blocked with the compact WY
/// form (Schreiber &amp; Van Loan 1989; LAPACK dlarft + dlarfb): a block of reflectors H_k0 ... H_k1-1 equals
/// I - Y T Y^T with T upper triangular, and Vt (I - Y T Y^T)^T = Vt - ((Vt Y) T^T) Y^T is three GEMMs.
/// Q^T = B_last^T ... B_0^T, so the last block is applied first. About 2 n^3 flops, all GEMM.
/// </summary>
internal static class HouseholderBackTransform
{
    internal const int BlockSize = 64;

    /// <param name="reflectors">the reduced matrix from <see cref="Tridiagonalization.Reduce"/> (v_k below the subdiagonal of column k).</param>
    /// <param name="tau">the n - 1 reflector scalars.</param>
    /// <param name="vt">n x n, rows transformed in place.</param>
    public static void Apply(ReadOnlySpan<double> reflectors, ReadOnlySpan<double> tau, int n, Span<double> vt, int maxThreads,
        int blockSize = BlockSize)
    {
        int count = n - 1;
        if (count <= 0) return;
        int nb = Math.Clamp(blockSize, 1, count);
        var y = new double[nb * n];
        var t = new double[nb * nb];
        var p1 = new double[n * nb];
        var p2 = new double[n * nb];
        var dots = new double[nb];
        for (int k0 = (count - 1) / nb * nb; k0 >= 0; k0 -= nb)
        {
            int kb = Math.Min(nb, count - k0), m = n - k0 - 1;
            // Yt (kb x m): row q is v_{k0+q} over global rows k0+1..n-1: zero above its unit entry at q.
            var yt = y.AsSpan(0, kb * m);
            yt.Clear();
            for (int q = 0; q < kb; q++)
            {
                int k = k0 + q;
                yt[q * m + q] = 1;
                for (int r = q + 1; r < m; r++) yt[q * m + r] = reflectors[(k0 + 1 + r) * n + k];
            }
            // T: T_qq = tau_q, T[0:q, q] = -tau_q T[0:q, 0:q] (Y[:, 0:q]^T y_q) (dlarft, forward, columnwise).
            var tt = t.AsSpan(0, kb * kb);
            tt.Clear();
            for (int q = 0; q < kb; q++)
            {
                double tq = tau[k0 + q];
                tt[q * kb + q] = tq;
                if (tq == 0) continue;
                var yq = yt.Slice(q * m + q, m - q);
                for (int s = 0; s < q; s++) dots[s] = TensorPrimitives.Dot<double>(yt.Slice(s * m + q, m - q), yq);
                for (int s = 0; s < q; s++)
                {
                    double acc = 0;
                    for (int u = s; u < q; u++) acc += tt[s * kb + u] * dots[u];
                    tt[s * kb + q] = -tq * acc;
                }
            }
            var vtCols = vt.Slice(k0 + 1);
            var a = p1.AsSpan(0, n * kb);
            var b = p2.AsSpan(0, n * kb);
            Blas.Gemm<double>(false, true, n, kb, m, 1.0, vtCols, n, yt, m, 0.0, a, kb, maxThreads);   // Vt Y
            Blas.Gemm<double>(false, true, n, kb, kb, 1.0, a, kb, tt, kb, 0.0, b, kb, maxThreads);      // (Vt Y) T^T
            Blas.Gemm<double>(false, false, n, m, kb, -1.0, b, kb, yt, m, 1.0, vtCols, n, maxThreads);  // -= ... Y^T
        }
    }
}

using System.Numerics;
using System.Numerics.Tensors;

namespace Kfac.Linalg;

/// <summary>
/// Triangular solves with many right-hand sides on the left, op(T) X = B (LAPACK dtrsm, side = 'L'),
/// with op(T) = T or T^T and T lower or upper. Row-major: T is n x n (row stride ldt, only the named
/// triangle is read), B is n x nrhs (row stride ldb) and is overwritten by X.
/// Blocked (Golub &amp; Van Loan, 4th ed., section 3.1.4): a substitution on each nb x nb diagonal block,
/// then a GEMM that removes the solved block rows from the rest, so all but O(n nb nrhs) flops are GEMM.
/// </summary>
public static class TriangularSolve
{
    internal const int BlockSize = 128;

    /// <summary>Solves op(T) X = B in place (B := X). A zero diagonal entry throws <see cref="SingularMatrixException"/>.</summary>
    public static void SolveLeft<T>(Triangle triangle, bool transpose, int n, int nrhs,
        ReadOnlySpan<T> t, Span<T> b, int ldt = 0, int ldb = 0, int maxThreads = 0)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        SolveLeft(triangle, transpose, n, nrhs, t, b, ldt, ldb, maxThreads, BlockSize);

    internal static void SolveLeft<T>(Triangle triangle, bool transpose, int n, int nrhs,
        ReadOnlySpan<T> t, Span<T> b, int ldt, int ldb, int maxThreads, int blockSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ldt = MatrixChecks.LeadingDimension(t.Length, n, n, ldt, nameof(t));
        ldb = MatrixChecks.LeadingDimension(b.Length, n, nrhs, ldb, nameof(b));
        if (nrhs < 0) throw new ArgumentOutOfRangeException(nameof(nrhs), $"nrhs = {nrhs} must be non-negative.");
        for (int i = 0; i < n; i++)
            if (t[i * ldt + i] == T.Zero) throw new SingularMatrixException(nameof(t), n, i);
        if (n == 0 || nrhs == 0) return;

        // op(T) is lower triangular for (Lower, no transpose) and (Upper, transpose): forward substitution.
        bool forward = (triangle == Triangle.Lower) != transpose;
        int nb = Math.Max(1, blockSize);
        if (forward)
        {
            for (int k = 0; k < n; k += nb)
            {
                int kb = Math.Min(nb, n - k), rest = n - k - kb;
                SubstituteBlock(t, ldt, transpose, k, kb, b, ldb, nrhs, forward: true, maxThreads);
                if (rest == 0) break;
                // B[k+kb.., :] -= op(T)[k+kb.., k..k+kb) * X[k..k+kb, :]
                ReadOnlySpan<T> a = transpose ? t.Slice(k * ldt + k + kb) : t.Slice((k + kb) * ldt + k);
                Blas.Gemm(transpose, false, rest, nrhs, kb, -T.One, a, ldt, Rows(b, k, kb, ldb, nrhs), ldb,
                    T.One, Rows(b, k + kb, rest, ldb, nrhs), ldb, maxThreads);
            }
        }
        else
        {
            for (int k = (n - 1) / nb * nb; k >= 0; k -= nb)
            {
                int kb = Math.Min(nb, n - k);
                SubstituteBlock(t, ldt, transpose, k, kb, b, ldb, nrhs, forward: false, maxThreads);
                if (k == 0) break;
                // B[0..k, :] -= op(T)[0..k, k..k+kb) * X[k..k+kb, :]
                ReadOnlySpan<T> a = transpose ? t.Slice(k * ldt) : t.Slice(k);
                Blas.Gemm(transpose, false, k, nrhs, kb, -T.One, a, ldt, Rows(b, k, kb, ldb, nrhs), ldb,
                    T.One, Rows(b, 0, k, ldb, nrhs), ldb, maxThreads);
            }
        }
    }

    /// <summary>Exactly rows [first, first + count) of B: GEMM rejects overlapping input and output spans, and the
    /// solved rows and the rows being updated are disjoint only when sliced to their exact extent.</summary>
    private static Span<T> Rows<T>(Span<T> b, int first, int count, int ldb, int nrhs) =>
        b.Slice(first * ldb, (count - 1) * ldb + nrhs);

    /// <summary>Substitution on the diagonal block rows [k, k+kb): row i of X is
    /// (b_i - sum_j op(T)_ij x_j) / op(T)_ii over the already solved rows j of the block (row axpys).
    /// The right-hand-side columns are independent, so wide B is split into column ranges across threads.</summary>
    private static unsafe void SubstituteBlock<T>(ReadOnlySpan<T> t, int ldt, bool transpose, int k, int kb,
        Span<T> b, int ldb, int nrhs, bool forward, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = Math.Min(ParallelChunks.ThreadsFor((double)kb * kb * nrhs, maxThreads), Math.Max(1, nrhs / 64));
        if (threads <= 1)
        {
            SubstituteColumns(t, ldt, transpose, k, kb, b, ldb, 0, nrhs, forward);
            return;
        }
        fixed (T* pt = t, pb = b)
        {
            nint tp = (nint)pt, bp = (nint)pb;
            int tLength = t.Length, bLength = b.Length;
            ParallelChunks.For(nrhs, threads, (c0, c1) =>
                SubstituteColumns(new ReadOnlySpan<T>((void*)tp, tLength), ldt, transpose, k, kb,
                    new Span<T>((void*)bp, bLength), ldb, c0, c1 - c0, forward));
        }
    }

    private static void SubstituteColumns<T>(ReadOnlySpan<T> t, int ldt, bool transpose, int k, int kb,
        Span<T> b, int ldb, int c0, int nrhs, bool forward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int step = 0; step < kb; step++)
        {
            int i = forward ? k + step : k + kb - 1 - step;
            var bi = b.Slice(i * ldb + c0, nrhs);
            int jStart = forward ? k : i + 1, jEnd = forward ? i : k + kb;
            for (int j = jStart; j < jEnd; j++)
            {
                T tij = transpose ? t[j * ldt + i] : t[i * ldt + j];
                if (tij != T.Zero) TensorPrimitives.MultiplyAdd<T>(b.Slice(j * ldb + c0, nrhs), -tij, bi, bi);
            }
            TensorPrimitives.Divide<T>(bi, t[i * ldt + i], bi);
        }
    }
}

using System.Numerics;
using System.Runtime.InteropServices;

namespace Kfac.Linalg;

/// <summary>
/// y = S x for the symmetric m x m matrix S given by its lower triangle (row-major, stride lda): LAPACK dsymv.
/// One pass over the triangle: row i contributes dot(S[i, 0..i), x) + s_ii x_i to y_i and x_i S[i, 0..i) to
/// y[0..i). This is the memory-bound half of the tridiagonal reduction, so rows are split between threads
/// by equal area, each with its own y.
/// </summary>
internal static class SymmetricMatVec
{
    /// <summary><paramref name="partial"/> is scratch of at least threads * m doubles (threads = <see cref="ThreadsFor"/>).</summary>
    public static unsafe void Lower(ReadOnlySpan<double> s, int lda, int m, ReadOnlySpan<double> x, Span<double> y,
        double[] partial, int maxThreads)
    {
        y[..m].Clear();
        int threads = ThreadsFor(m, maxThreads);
        if (threads == 1)
        {
            Rows(s, lda, 0, m, x, y);
            return;
        }
        fixed (double* ps = s, px = x)
        {
            nint sp = (nint)ps, xp = (nint)px;
            int sLength = s.Length, xLength = x.Length;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                // Equal-area split of the triangle: row boundary m sqrt(t / threads).
                int start = (int)(m * Math.Sqrt((double)t / threads)), end = (int)(m * Math.Sqrt((double)(t + 1) / threads));
                if (t == threads - 1) end = m;
                partial.AsSpan(t * m, m).Clear();
                Rows(new ReadOnlySpan<double>((void*)sp, sLength), lda, start, end,
                    new ReadOnlySpan<double>((void*)xp, xLength), partial.AsSpan(t * m, m));
            });
        }
        for (int t = 0; t < threads; t++)
        {
            var p = partial.AsSpan(t * m, m);
            for (int i = 0; i < m; i++) y[i] += p[i];
        }
    }

    /// <summary>Threads used for an m x m product: below m = 768 (~2.4 MB of triangle, ~0.1 ms) the hand-off to a
    /// second thread costs about as much as it saves, and far more on an oversubscribed machine.</summary>
    public static int ThreadsFor(int m, int maxThreads) => m >= 768 ? Blas.Threads(maxThreads) : 1;

    private static void Rows(ReadOnlySpan<double> s, int lda, int start, int end, ReadOnlySpan<double> x, Span<double> y)
    {
        int w = Vector<double>.Count;
        for (int i = start; i < end; i++)
        {
            var row = s.Slice(i * lda, i + 1);
            double xi = x[i];
            var rowV = MemoryMarshal.Cast<double, Vector<double>>(row[..i]);
            var xV = MemoryMarshal.Cast<double, Vector<double>>(x[..i]);
            var yV = MemoryMarshal.Cast<double, Vector<double>>(y[..i]);
            var acc = Vector<double>.Zero;
            var xiV = new Vector<double>(xi);
            for (int k = 0; k < rowV.Length; k++)
            {
                acc += rowV[k] * xV[k];
                yV[k] += xiV * rowV[k];
            }
            double dot = Vector.Sum(acc);
            for (int k = rowV.Length * w; k < i; k++)
            {
                dot += row[k] * x[k];
                y[k] += xi * row[k];
            }
            y[i] += dot + row[i] * xi;
        }
    }
}

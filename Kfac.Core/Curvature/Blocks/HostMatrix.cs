using Kfac.Cpu;

namespace Kfac.Curvature;

/// <summary>Small helpers for row-major double matrices on the host (the block-tridiagonal algebra).</summary>
internal static class HostMatrix
{
    /// <summary>op(A) op(B) with op(A) m x k and op(B) k x n.</summary>
    public static double[] Multiply(double[] a, double[] b, int m, int n, int k, bool transA = false, bool transB = false)
    {
        var c = new double[m * n];
        Gemm.Dgemm(transA, transB, m, n, k, 1, a, transA ? m : k, b, transB ? k : n, 0, c, n);
        return c;
    }

    /// <summary>The transpose of a rows x cols matrix.</summary>
    public static double[] Transpose(double[] a, int rows, int cols)
    {
        var t = new double[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    /// <summary>a + value I (a copy).</summary>
    public static double[] AddIdentity(double[] a, int n, double value)
    {
        var r = (double[])a.Clone();
        for (int i = 0; i < n; i++) r[i * n + i] += value;
        return r;
    }

    public static double Trace(double[] a, int n)
    {
        double s = 0;
        for (int i = 0; i < n; i++) s += a[i * n + i];
        return s;
    }

    /// <summary>(a + a^T) / 2 in place: products like P Q^-1 P^T are symmetric only up to rounding.</summary>
    public static void Symmetrize(double[] a, int n)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double v = 0.5 * (a[i * n + j] + a[j * n + i]);
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
    }
}

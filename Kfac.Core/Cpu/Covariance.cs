namespace Kfac.Cpu;

/// <summary>
/// SYRK-style covariance: C (n x n) = beta * C + alpha * X^T X, X is m x n row-major with row stride ldx
/// (rows are examples). Only the lower triangle is computed, then mirrored to the upper one.
/// PLACEHOLDER: naive loops; the blocked SIMD kernel replaces this file.
/// </summary>
public static class Covariance
{
    public static void Ssyrk(int m, int n, float alpha, ReadOnlySpan<float> x, int ldx, float beta, Span<float> c, int ldc,
        int maxThreads = 0)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int p = 0; p < m; p++) s += (double)x[p * ldx + i] * x[p * ldx + j];
                float v = (float)(alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]));
                c[i * ldc + j] = v; c[j * ldc + i] = v;
            }
    }

    public static void Dsyrk(int m, int n, double alpha, ReadOnlySpan<double> x, int ldx, double beta, Span<double> c, int ldc,
        int maxThreads = 0)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int p = 0; p < m; p++) s += x[p * ldx + i] * x[p * ldx + j];
                double v = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
                c[i * ldc + j] = v; c[j * ldc + i] = v;
            }
    }
}

namespace Kfac.Tests.Backends;

/// <summary>Straightforward double-precision reference arithmetic for the backend contract tests (row-major).</summary>
internal static class HostReference
{
    /// <summary>op(A) op(B) for op(A) m x k, op(B) k x n, and the sums of |terms| per entry (the error scale).</summary>
    public static (double[] Product, double[] Scale) Gemm(bool transA, bool transB, int m, int n, int k, double[] a, double[] b)
    {
        var c = new double[m * n];
        var s = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                    sum += t;
                    abs += Math.Abs(t);
                }
                c[i * n + j] = sum;
                s[i * n + j] = abs;
            }
        return (c, s);
    }

    public static double Unary(int op, double x) => op switch
    {
        0 => -x,
        1 => Math.Exp(x),
        2 => Math.Log(x),
        3 => Math.Tanh(x),
        4 => 1 / (1 + Math.Exp(-x)),
        5 => Math.Max(x, 0),
        6 => Math.Max(x, 0) + Log1p(Math.Exp(-Math.Abs(x))),
        7 => x * x,
        _ => Math.Sqrt(x),
    };

    /// <summary>log(1 + y) for y &gt;= 0, accurate for small y (series below 1e-4).</summary>
    public static double Log1p(double y) => y < 1e-4 ? y - y * y / 2 + y * y * y / 3 : Math.Log(1 + y);

    /// <summary>f'(x) for the unary ops, from x alone.</summary>
    public static double Derivative(int op, double x) => op switch
    {
        0 => -1,
        1 => Math.Exp(x),
        2 => 1 / x,
        3 => 1 - Math.Tanh(x) * Math.Tanh(x),
        4 => Unary(4, x) * (1 - Unary(4, x)),
        5 => x > 0 ? 1 : 0,
        6 => Unary(4, x),
        7 => 2 * x,
        _ => 0.5 / Math.Sqrt(x),
    };

    public static double Binary(int op, double a, double b) => op switch
    {
        0 => a + b,
        1 => a - b,
        2 => a * b,
        _ => a / b,
    };

    public static double LogSumExp(double[] x, int start, int cols)
    {
        double max = double.NegativeInfinity;
        for (int c = 0; c < cols; c++) max = Math.Max(max, x[start + c]);
        if (!double.IsFinite(max)) return max;
        double s = 0;
        for (int c = 0; c < cols; c++) s += Math.Exp(x[start + c] - max);
        return max + Math.Log(s);
    }

    /// <summary>(A + A^T)/2 + d I inverted by Gauss-Jordan elimination with partial pivoting, in double.</summary>
    public static double[] DampedSymmetricInverse(double[] a, int n, double damping)
    {
        var m = new double[n * 2 * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) m[i * 2 * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]) + (i == j ? damping : 0);
            m[i * 2 * n + n + i] = 1;
        }
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
                if (Math.Abs(m[r * 2 * n + col]) > Math.Abs(m[pivot * 2 * n + col])) pivot = r;
            if (pivot != col)
                for (int c = 0; c < 2 * n; c++) (m[col * 2 * n + c], m[pivot * 2 * n + c]) = (m[pivot * 2 * n + c], m[col * 2 * n + c]);
            double d = m[col * 2 * n + col];
            for (int c = 0; c < 2 * n; c++) m[col * 2 * n + c] /= d;
            for (int r = 0; r < n; r++)
            {
                if (r == col) continue;
                double f = m[r * 2 * n + col];
                if (f == 0) continue;
                for (int c = 0; c < 2 * n; c++) m[r * 2 * n + c] -= f * m[col * 2 * n + c];
            }
        }
        var inv = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) inv[i * n + j] = m[i * 2 * n + n + j];
        return inv;
    }

    public static double[] RandomGaussian(Random rng, int count, double scale = 1)
    {
        var v = new double[count];
        for (int i = 0; i < count; i++)
        {
            double u = 1.0 - rng.NextDouble(), w = rng.NextDouble();
            v[i] = scale * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * w);
        }
        return v;
    }

    /// <summary>SPD matrix M M^T / n + eps I (M n x n Gaussian).</summary>
    public static double[] RandomSpd(Random rng, int n, double eps)
    {
        var m = RandomGaussian(rng, n * n);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < n; p++) s += m[i * n + p] * m[j * n + p];
                a[i * n + j] = s / n + (i == j ? eps : 0);
            }
        return a;
    }
}

namespace Kfac.Tests.Optim.Reference;

/// <summary>
/// The reference K-FAC's own dense linear algebra on plain double[,] matrices: products, Kronecker products,
/// Cholesky and the SPD inverse built on it. Deliberately independent of Kfac.Linalg, Kfac.Cpu.Gemm and
/// HostMatrix, so the reference shares no numerical code with the optimizer it checks.
/// </summary>
internal static class RefLinalg
{
    public static double[,] Zeros(int rows, int cols) => new double[rows, cols];

    public static double[,] Identity(int n)
    {
        var i = new double[n, n];
        for (int k = 0; k < n; k++) i[k, k] = 1;
        return i;
    }

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        if (b.GetLength(0) != k) throw new ArgumentException($"Multiply: inner dimensions {k} and {b.GetLength(0)} differ");
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < k; p++)
            {
                double aip = a[i, p];
                if (aip == 0) continue;
                for (int j = 0; j < m; j++) c[i, j] += aip * b[p, j];
            }
        return c;
    }

    public static double[] Multiply(double[,] a, double[] x)
    {
        int n = a.GetLength(0), k = a.GetLength(1);
        if (x.Length != k) throw new ArgumentException($"Multiply: matrix has {k} columns, vector {x.Length} entries");
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int p = 0; p < k; p++) s += a[i, p] * x[p];
            y[i] = s;
        }
        return y;
    }

    public static double[,] Transpose(double[,] a)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        var t = new double[m, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) t[j, i] = a[i, j];
        return t;
    }

    public static double[,] Subtract(double[,] a, double[,] b)
    {
        var c = (double[,])a.Clone();
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++) c[i, j] -= b[i, j];
        return c;
    }

    public static double[,] AddIdentity(double[,] a, double s)
    {
        var c = (double[,])a.Clone();
        for (int i = 0; i < a.GetLength(0); i++) c[i, i] += s;
        return c;
    }

    public static double Trace(double[,] a)
    {
        double t = 0;
        for (int i = 0; i < a.GetLength(0); i++) t += a[i, i];
        return t;
    }

    /// <summary>a &lt;- eps a + (1 - eps) b, elementwise (the statistics' exponential moving average).</summary>
    public static void Ema(double[,] a, double[,] b, double eps)
    {
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++) a[i, j] = eps * a[i, j] + (1 - eps) * b[i, j];
    }

    /// <summary>Outer-product accumulation c += s x y^T.</summary>
    public static void AddOuter(double[,] c, double[] x, double[] y, double s)
    {
        for (int i = 0; i < x.Length; i++)
            for (int j = 0; j < y.Length; j++) c[i, j] += s * x[i] * y[j];
    }

    /// <summary>
    /// K = A (x) B acting on column-stacked vec: for V with V's row index in B's range and column index in A's,
    /// K vec(V) = vec(B V A^T), i.e. K[(c, r), (c', r')] = A[c, c'] B[r, r'] with flat index c * rows(B) + r.
    /// </summary>
    public static double[,] Kron(double[,] a, double[,] b)
    {
        int ra = a.GetLength(0), ca = a.GetLength(1), rb = b.GetLength(0), cb = b.GetLength(1);
        var k = new double[ra * rb, ca * cb];
        for (int i = 0; i < ra; i++)
            for (int j = 0; j < ca; j++)
                for (int p = 0; p < rb; p++)
                    for (int q = 0; q < cb; q++) k[i * rb + p, j * cb + q] = a[i, j] * b[p, q];
        return k;
    }

    /// <summary>Lower-triangular L with L L^T = A for symmetric positive definite A (throws otherwise).</summary>
    public static double[,] Cholesky(double[,] a)
    {
        int n = a.GetLength(0);
        var l = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double d = a[j, j];
            for (int k = 0; k < j; k++) d -= l[j, k] * l[j, k];
            if (!(d > 0)) throw new InvalidOperationException($"Cholesky: pivot {j} is {d}: the matrix ({n} x {n}) is not positive definite");
            l[j, j] = Math.Sqrt(d);
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i, j];
                for (int k = 0; k < j; k++) s -= l[i, k] * l[j, k];
                l[i, j] = s / l[j, j];
            }
        }
        return l;
    }

    /// <summary>A^-1 for symmetric positive definite A, by Cholesky and two triangular solves per column; symmetrised.</summary>
    public static double[,] SpdInverse(double[,] a)
    {
        int n = a.GetLength(0);
        var l = Cholesky(a);
        var inv = new double[n, n];
        var y = new double[n];
        for (int col = 0; col < n; col++)
        {
            // L y = e_col
            for (int i = 0; i < n; i++)
            {
                double s = i == col ? 1 : 0;
                for (int k = 0; k < i; k++) s -= l[i, k] * y[k];
                y[i] = s / l[i, i];
            }
            // L^T x = y
            for (int i = n - 1; i >= 0; i--)
            {
                double s = y[i];
                for (int k = i + 1; k < n; k++) s -= l[k, i] * inv[k, col];
                inv[i, col] = s / l[i, i];
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) inv[i, j] = inv[j, i] = 0.5 * (inv[i, j] + inv[j, i]);
        return inv;
    }

    public static double Dot(double[] x, double[] y)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }
}

namespace Kfac.Tests.Linalg;

/// <summary>Random test matrices and naive reference arithmetic (row-major, double) for the Linalg tests.</summary>
internal static class TestMatrices
{
    /// <summary>Machine epsilons (spacing at 1): 2^-52 and 2^-23. Not double.Epsilon, which is the smallest subnormal.</summary>
    public const double EpsDouble = 2.220446049250313e-16;
    public const double EpsFloat = 1.1920928955078125e-7;

    public static double Gaussian(Random rng)
    {
        // Box-Muller; 1 - NextDouble() avoids log(0).
        double u = 1.0 - rng.NextDouble(), v = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }

    public static double[] Random(Random rng, int rows, int cols)
    {
        var m = new double[rows * cols];
        for (int i = 0; i < m.Length; i++) m[i] = Gaussian(rng);
        return m;
    }

    /// <summary>SPD test matrix M M^T / k + eps I with M n x k Gaussian (k = n unless given):
    /// eigenvalues roughly in [eps, 4], so cond is about 4 / eps for k &gt;= n.</summary>
    public static double[] RandomSpd(Random rng, int n, double eps = 0.1, int k = 0)
    {
        if (k <= 0) k = n;
        var m = Random(rng, n, k);
        var a = MultiplyABt(m, m, n, k, n);
        for (int i = 0; i < a.Length; i++) a[i] /= k;
        for (int i = 0; i < n; i++) a[i * n + i] += eps;
        return a;
    }

    /// <summary>Symmetric (indefinite) Gaussian matrix (M + M^T) / 2.</summary>
    public static double[] Symmetric(Random rng, int n, double scale = 1.0)
    {
        var m = Random(rng, n, n);
        var s = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                s[i * n + j] = 0.5 * scale * (m[i * n + j] + m[j * n + i]);
        return s;
    }

    public static double[] Identity(int n)
    {
        var a = new double[n * n];
        for (int i = 0; i < n; i++) a[i * n + i] = 1;
        return a;
    }

    /// <summary>C = A B with A m x k, B k x n.</summary>
    public static double[] Multiply(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                double aip = a[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
            }
        return c;
    }

    /// <summary>C = A B^T with A m x k, B n x k.</summary>
    public static double[] MultiplyABt(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
                c[i * n + j] = s;
            }
        return c;
    }

    public static double[] Transpose(double[] a, int rows, int cols)
    {
        var t = new double[a.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                t[j * rows + i] = a[i * cols + j];
        return t;
    }

    public static double Frobenius(ReadOnlySpan<double> a)
    {
        double s = 0;
        foreach (double v in a) s += v * v;
        return Math.Sqrt(s);
    }

    public static double FrobeniusDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(s);
    }

    public static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected) =>
        FrobeniusDistance(actual, expected) / Math.Max(Frobenius(expected), double.Epsilon);

    public static float[] ToFloat(double[] a) => Array.ConvertAll(a, v => (float)v);

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>Maps an FsCheck integer to a size in [1, max] (FsCheck's ints shrink towards 0, i.e. size 1).</summary>
    public static int Size(int raw, int max) => 1 + (int)((uint)raw % (uint)max);
}

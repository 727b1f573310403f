using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

/// <summary>
/// Divide and conquer on symmetric tridiagonals that stress its deflation and its secular equation (close and
/// repeated eigenvalues, decoupled blocks, tiny couplings, graded entries), each checked by the residual
/// ||T Q - Q diag(d)|| and ||Q^T Q - I|| (backward stability: c n eps ||T||) and against implicit QL's eigenvalues.
/// </summary>
public class TridiagonalDivideConquerTests
{
    private static double Bound(int n) => 16 * (n + 1) * EpsDouble;

    private static void AssertEigenpairs(double[] diag, double[] sub, string what)
    {
        int n = diag.Length;
        var d = (double[])diag.Clone();
        var q = new double[n * n];
        TridiagonalDivideConquer.Solve(d, sub, q, n, maxThreads: 0);

        double norm = 0;
        for (int i = 0; i < n; i++) norm = Math.Max(norm, Math.Abs(diag[i]) + (i > 0 ? Math.Abs(sub[i - 1]) : 0) + (i < n - 1 ? Math.Abs(sub[i]) : 0));
        norm = Math.Max(norm, 1e-300);
        // Residual T q_j - d_j q_j, column by column (T applied through its three diagonals).
        double residual = 0;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
            {
                double t = diag[i] * q[i * n + j];
                if (i > 0) t += sub[i - 1] * q[(i - 1) * n + j];
                if (i < n - 1) t += sub[i] * q[(i + 1) * n + j];
                double r = t - d[j] * q[i * n + j];
                residual += r * r;
            }
        Assert.That(Math.Sqrt(residual) / norm, Is.LessThan(Bound(n)), $"residual {what}");
        var qtq = Multiply(Transpose(q, n, n), q, n, n, n);
        Assert.That(FrobeniusDistance(qtq, Identity(n)), Is.LessThan(Bound(n)), $"orthonormality {what}");

        // The same eigenvalues as QL (both backward stable: within c n eps ||T|| of each other).
        var dq = (double[])diag.Clone();
        var e = new double[Math.Max(n, 1)];
        Array.Copy(sub, e, n - 1);
        TridiagonalQl.Solve(dq, e, null, n, 1);
        Array.Sort(dq);
        var sorted = (double[])d.Clone();
        Array.Sort(sorted);
        for (int i = 0; i < n; i++)
            Assert.That(Math.Abs(sorted[i] - dq[i]) / norm, Is.LessThan(Bound(n)), $"eigenvalue {i} against QL {what}");
    }

    private static (double[] Diag, double[] Sub) Random(int n, int seed)
    {
        var rng = new Random(seed);
        var d = new double[n];
        var e = new double[Math.Max(n - 1, 0)];
        for (int i = 0; i < n; i++) d[i] = rng.NextDouble() * 2 - 1;
        for (int i = 0; i < n - 1; i++) e[i] = rng.NextDouble() * 2 - 1;
        return (d, e);
    }

    [TestCase(33, 1)]
    [TestCase(64, 2)]
    [TestCase(101, 3)]
    [TestCase(300, 4)]
    [TestCase(1025, 5)]
    public void RandomTridiagonal(int n, int seed)
    {
        var (d, e) = Random(n, seed);
        AssertEigenpairs(d, e, $"random n={n}");
    }

    /// <summary>Wilkinson's W+_{2m+1}: its largest eigenvalues come in pairs that agree to many digits.</summary>
    [TestCase(101)]
    [TestCase(201)]
    public void WilkinsonCloseEigenvaluePairs(int n)
    {
        int m = n / 2;
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = Math.Abs(m - i);
        Array.Fill(e, 1.0);
        AssertEigenpairs(d, e, $"W+ {n}");
    }

    /// <summary>Several Wilkinson matrices glued by tiny couplings: clusters of nearly equal eigenvalues across blocks.</summary>
    [TestCase(1e-14)]
    [TestCase(1e-8)]
    [TestCase(0.0)]
    public void GluedWilkinsonClusters(double glue)
    {
        const int blocks = 6, size = 21;
        int n = blocks * size;
        var d = new double[n];
        var e = new double[n - 1];
        for (int b = 0; b < blocks; b++)
            for (int i = 0; i < size; i++)
            {
                d[b * size + i] = Math.Abs(size / 2 - i);
                if (i < size - 1) e[b * size + i] = 1;
                else if (b < blocks - 1) e[b * size + i] = glue;
            }
        AssertEigenpairs(d, e, $"glued {glue}");
    }

    /// <summary>The second-difference matrix tridiag(-1, 2, -1): eigenvalues 2 - 2 cos(k pi / (n + 1)).</summary>
    [Test]
    public void SecondDifference_KnownEigenvalues()
    {
        int n = 200;
        var d = Enumerable.Repeat(2.0, n).ToArray();
        var e = Enumerable.Repeat(-1.0, n - 1).ToArray();
        AssertEigenpairs(d, e, "second difference");
        var w = (double[])d.Clone();
        TridiagonalDivideConquer.Solve(w, e, new double[n * n], n, 0);
        Array.Sort(w);
        for (int k = 1; k <= n; k++)
            Assert.That(w[k - 1], Is.EqualTo(2 - 2 * Math.Cos(k * Math.PI / (n + 1))).Within(1e-13));
    }

    /// <summary>Identity, all-equal diagonals, zero couplings and graded entries: everything deflates, or nearly.</summary>
    [Test]
    public void DegenerateAndGraded()
    {
        int n = 97;
        AssertEigenpairs(Enumerable.Repeat(1.0, n).ToArray(), new double[n - 1], "identity");
        AssertEigenpairs(Enumerable.Repeat(3.0, n).ToArray(), Enumerable.Repeat(1e-300, n - 1).ToArray(), "tiny couplings");
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = Math.Pow(10, -i / 8.0);
        for (int i = 0; i < n - 1; i++) e[i] = 0.3 * Math.Pow(10, -i / 8.0);
        AssertEigenpairs(d, e, "graded");
        var zero = new double[n];
        AssertEigenpairs(zero, new double[n - 1], "zero");
    }

    /// <summary>The secular solver alone: D + rho z z^T for ascending D and random z, checked against the dense
    /// eigenproblem's residual and orthogonality, with roots that crowd a pole (tiny z components).</summary>
    [TestCase(2, 1)]
    [TestCase(7, 2)]
    [TestCase(50, 3)]
    [TestCase(400, 4)]
    public void SecularEquation_EigenpairsOfRankOneUpdate(int k, int seed)
    {
        var rng = new Random(seed);
        var delta = new double[k];
        var z = new double[k];
        double t = 0;
        for (int i = 0; i < k; i++)
        {
            t += 1e-3 + rng.NextDouble();
            delta[i] = t;
            z[i] = (rng.NextDouble() * 2 - 1) * (i % 5 == 0 ? 1e-6 : 1);
        }
        double rho = 0.5 + rng.NextDouble();
        var lambda = new double[k];
        var u = TridiagonalDivideConquer.SecularEigenvectors(delta, z, rho, lambda);
        double norm = delta[^1] + rho * z.Sum(x => x * x);
        double residual = 0;
        for (int j = 0; j < k; j++)
        {
            // Interlacing (a root next to a pole whose z is 1e-6 rounds onto it: delta_j + tau with tau ~ 1e-12 delta_j).
            Assert.That(lambda[j], Is.GreaterThanOrEqualTo(delta[j]), $"root {j} interlaces");
            if (j < k - 1) Assert.That(lambda[j], Is.LessThanOrEqualTo(delta[j + 1]), $"root {j} interlaces");
            double zu = 0;
            for (int i = 0; i < k; i++) zu += z[i] * u[i * k + j];
            for (int i = 0; i < k; i++)
            {
                double r = delta[i] * u[i * k + j] + rho * z[i] * zu - lambda[j] * u[i * k + j];
                residual += r * r;
            }
        }
        Assert.That(Math.Sqrt(residual) / norm, Is.LessThan(Bound(k)), "residual");
        var utu = Multiply(Transpose(u, k, k), u, k, k, k);
        Assert.That(FrobeniusDistance(utu, Identity(k)), Is.LessThan(Bound(k)), "orthonormality");
    }
}


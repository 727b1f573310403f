using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

public class SymmetricEigenTests
{
    // Householder + QL is backward stable: V diag(w) V^T = A + E, ||E|| <= c n eps ||A||, ||V^T V - I|| <= c n eps
    // (Golub & Van Loan, 4th ed., 8.3.6).
    private static double Bound(int n) => 16 * (n + 1) * EpsDouble;

    internal static (double[] W, double[] V) Eigh(double[] a, int n)
    {
        var w = new double[n];
        var v = new double[n * n];
        SymmetricEigen.Decompose(a, n, w, v, maxThreads: 0);
        return (w, v);
    }

    internal static double[] Reconstruct(double[] w, double[] v, int n)
    {
        var vw = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) vw[i * n + j] = v[i * n + j] * w[j];
        return MultiplyABt(vw, v, n, n, n);
    }

    private static void AssertDecomposition(double[] a, int n, double[] w, double[] v, string what = "")
    {
        for (int j = 1; j < n; j++) Assert.That(w[j], Is.GreaterThanOrEqualTo(w[j - 1]), $"ascending {what}");
        double scale = Math.Max(Frobenius(a), 1e-300);
        Assert.That(FrobeniusDistance(Reconstruct(w, v, n), a) / scale, Is.LessThan(Bound(n)), $"reconstruction {what}");
        var vtv = Multiply(Transpose(v, n, n), v, n, n, n);
        Assert.That(FrobeniusDistance(vtv, Identity(n)), Is.LessThan(Bound(n)), $"orthonormality {what}");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(31)]
    [TestCase(32)]
    [TestCase(33)]
    [TestCase(65)]
    [TestCase(130)]
    [TestCase(257)]
    public void RandomSymmetric_Indefinite(int n)
    {
        var a = Symmetric(new Random(n), n);
        var (w, v) = Eigh(a, n);
        AssertDecomposition(a, n, w, v);
        if (n > 4) Assert.That(w[0], Is.LessThan(0), "a Gaussian symmetric matrix has negative eigenvalues");
    }

    [FsCheck.NUnit.Property(MaxTest = 30)]
    public void AnySize_Decomposes(int rawN, int seed)
    {
        int n = Size(rawN, 40);
        var a = Symmetric(new Random(seed), n);
        var (w, v) = Eigh(a, n);
        AssertDecomposition(a, n, w, v, $"n={n}");
        var wOnly = new double[n];
        SymmetricEigen.Eigenvalues(a, n, wOnly);
        for (int i = 0; i < n; i++) Assert.That(wOnly[i], Is.EqualTo(w[i]).Within(Bound(n) * Frobenius(a)));
    }

    [Test]
    public void OneByOne()
    {
        var (w, v) = Eigh([-3.5], 1);
        Assert.That((w[0], v[0]), Is.EqualTo((-3.5, 1.0)));
    }

    [Test]
    public void Zero_GivesZeroEigenvaluesAndIdentity()
    {
        int n = 40;
        var (w, v) = Eigh(new double[n * n], n);
        Assert.That(w, Is.All.EqualTo(0));
        AssertDecomposition(new double[n * n], n, w, v);
    }

    [Test]
    public void Diagonal_WithRepeatsAndNegatives_IsExact()
    {
        double[] diag = [3, -1, 2, 2, 0, -1, 5, 2];
        int n = diag.Length;
        var a = new double[n * n];
        for (int i = 0; i < n; i++) a[i * n + i] = diag[i];
        var (w, v) = Eigh(a, n);
        Assert.That(w, Is.EqualTo(diag.Order().ToArray()));
        AssertDecomposition(a, n, w, v);
        // Each eigenvector of a diagonal matrix is a unit coordinate vector.
        for (int j = 0; j < n; j++)
            Assert.That(Enumerable.Range(0, n).Count(i => v[i * n + j] != 0), Is.EqualTo(1));
    }

    [TestCase(7)]
    [TestCase(70)]
    public void RepeatedEigenvalues_OrthonormalBasisOfEachEigenspace(int n)
    {
        // A = H diag(lambda) H with H a Householder reflection (orthogonal) and only three distinct eigenvalues.
        var u = Random(new Random(n), n, 1);
        double uu = u.Sum(x => x * x);
        var h = Identity(n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) h[i * n + j] -= 2 * u[i] * u[j] / uu;
        var lambda = Enumerable.Range(0, n).Select(i => (double)(i % 3) - 1).ToArray();
        var a = Reconstruct(lambda, h, n);
        var (w, v) = Eigh(a, n);
        AssertDecomposition(a, n, w, v);
        var sorted = lambda.Order().ToArray();
        for (int i = 0; i < n; i++) Assert.That(w[i], Is.EqualTo(sorted[i]).Within(Bound(n)));
    }

    [TestCase(20, 3)]
    [TestCase(130, 10)]
    public void RankDeficientPsd_ZeroEigenvaluesAreTiny(int n, int rank)
    {
        var a = RandomSpd(new Random(n), n, eps: 0, k: rank);
        var (w, v) = Eigh(a, n);
        AssertDecomposition(a, n, w, v);
        double norm = w[^1];
        for (int i = 0; i < n - rank; i++) Assert.That(Math.Abs(w[i]), Is.LessThan(Bound(n) * norm), $"null eigenvalue {i}");
        Assert.That(w[n - rank], Is.GreaterThan(1e-3 * norm));
    }

    [Test]
    public void WilkinsonMatrix_NearlyEqualEigenvaluePairs()
    {
        // W21+: tridiagonal, diagonal |10 - i|, off-diagonal 1; its largest eigenvalues agree to ~1e-14 in pairs.
        int n = 21;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            a[i * n + i] = Math.Abs(10 - i);
            if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = 1;
        }
        var (w, v) = Eigh(a, n);
        AssertDecomposition(a, n, w, v);
        Assert.That(w[^1], Is.EqualTo(10.746194182903393).Within(1e-12));
        Assert.That(w[^1] - w[^2], Is.LessThan(1e-12));
    }

    [Test]
    public void GradedAndClustered_Decompose()
    {
        int n = 60;
        var rng = new Random(60);
        // Graded: entries scaled by 10^(-(i + j) / 6), spanning ~20 orders of magnitude.
        var g = Symmetric(rng, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) g[i * n + j] *= Math.Pow(10, -(i + j) / 6.0);
        var (wg, vg) = Eigh(g, n);
        AssertDecomposition(g, n, wg, vg, "graded");
        // Clustered: H diag(1 + k 1e-13) H, all eigenvalues within 6e-12.
        var u = Random(rng, n, 1);
        double uu = u.Sum(x => x * x);
        var h = Identity(n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) h[i * n + j] -= 2 * u[i] * u[j] / uu;
        var c = Reconstruct(Enumerable.Range(0, n).Select(k => 1 + k * 1e-13).ToArray(), h, n);
        var (wc, vc) = Eigh(c, n);
        AssertDecomposition(c, n, wc, vc, "clustered");
    }

    [Test]
    public void Laplacian1D_MatchesClosedForm()
    {
        // tridiag(-1, 2, -1): eigenvalues 2 - 2 cos(k pi / (n + 1)), k = 1..n.
        int n = 50;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            a[i * n + i] = 2;
            if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
        }
        var (w, v) = Eigh(a, n);
        for (int k = 1; k <= n; k++) Assert.That(w[k - 1], Is.EqualTo(2 - 2 * Math.Cos(k * Math.PI / (n + 1))).Within(1e-13));
        AssertDecomposition(a, n, w, v);
    }

    [TestCase(1e-200)]
    [TestCase(1e200)]
    public void ExtremeScales_NoOverflowOrUnderflow(double scale)
    {
        int n = 12;
        var b = Symmetric(new Random(12), n);
        var a = b.Select(x => x * scale).ToArray();
        var (wb, _) = Eigh(b, n);
        var (w, v) = Eigh(a, n);
        for (int i = 0; i < n; i++) Assert.That(w[i] / scale, Is.EqualTo(wb[i]).Within(1e-12));
        var vtv = Multiply(Transpose(v, n, n), v, n, n, n);
        Assert.That(FrobeniusDistance(vtv, Identity(n)), Is.LessThan(Bound(n)));
    }

    [TestCase(9)]
    [TestCase(100)]
    public void ReadsLowerTriangleOnly(int n)
    {
        var a = Symmetric(new Random(1), n);
        var garbage = (double[])a.Clone();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) garbage[i * n + j] = double.NaN;
        var (w1, _) = Eigh(a, n);
        var (w2, _) = Eigh(garbage, n);
        Assert.That(w2, Is.EqualTo(w1));
    }

    [Test]
    public void NaN_Throws()
    {
        var a = new double[] { 1, 0, double.NaN, 1 };
        var e = Assert.Throws<NonFiniteMatrixException>(() => Eigh(a, 2))!;
        Assert.That((e.Row, e.Column), Is.EqualTo((1, 0)));
    }

    [Test]
    public void WrongSizes_NameTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[4], 2, new double[3], new double[4]))!;
        Assert.That(e.Message, Does.Contain("eigenvalues").And.Contain("2x2"));
    }
}

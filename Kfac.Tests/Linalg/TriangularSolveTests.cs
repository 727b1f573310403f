using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

public class TriangularSolveTests
{
    /// <summary>Well-conditioned triangular test matrix: the Cholesky factor of a random SPD matrix, with the
    /// other triangle filled with garbage to prove it is never read.</summary>
    private static double[] TriangularMatrix(Random rng, int n, Triangle triangle)
    {
        var l = RandomSpd(rng, n, eps: 0.5);
        Cholesky.Factor<double>(l, n);
        var t = triangle == Triangle.Lower ? l : Transpose(l, n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (triangle == Triangle.Lower ? j > i : j < i) t[i * n + j] = 1e6 * Gaussian(rng);
        return t;
    }

    private static double[] OpT(double[] t, int n, Triangle triangle, bool transpose)
    {
        var clean = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (triangle == Triangle.Lower ? j <= i : j >= i) clean[i * n + j] = t[i * n + j];
        return transpose ? Transpose(clean, n, n) : clean;
    }

    private static void CheckResidual(Triangle triangle, bool transpose, int n, int nrhs, int blockSize, int seed)
    {
        var rng = new Random(seed);
        var t = TriangularMatrix(rng, n, triangle);
        var b = Random(rng, n, nrhs);
        var x = (double[])b.Clone();
        TriangularSolve.SolveLeft<double>(triangle, transpose, n, nrhs, t, x, 0, 0, 1, blockSize);
        // Backward error ||op(T) X - B|| / (||T|| ||X||) of a substitution is O(n eps) (Higham, Thm 8.5).
        var residual = Multiply(OpT(t, n, triangle, transpose), x, n, n, nrhs);
        double rel = FrobeniusDistance(residual, b) / (Frobenius(OpT(t, n, triangle, false)) * Frobenius(x));
        Assert.That(rel, Is.LessThan(4 * (n + 1) * EpsDouble), $"{triangle} transpose={transpose} n={n} nrhs={nrhs} nb={blockSize}");
    }

    private static readonly (Triangle, bool)[] Variants =
        [(Triangle.Lower, false), (Triangle.Lower, true), (Triangle.Upper, false), (Triangle.Upper, true)];

    [TestCase(1, 1, 128)]
    [TestCase(5, 3, 2)]
    [TestCase(130, 17, 128)]
    [TestCase(257, 4, 64)]
    [TestCase(31, 1, 7)]
    public void SolveLeft_AllVariants_SmallResidual(int n, int nrhs, int blockSize)
    {
        foreach (var (triangle, transpose) in Variants) CheckResidual(triangle, transpose, n, nrhs, blockSize, n * 31 + nrhs);
    }

    [FsCheck.NUnit.Property(MaxTest = 30)]
    public void SolveLeft_AnyShape_SmallResidual(int rawN, int rawRhs, int rawBlock, int variant, int seed)
    {
        var (triangle, transpose) = Variants[(uint)variant % 4];
        CheckResidual(triangle, transpose, Size(rawN, 40), Size(rawRhs, 9), Size(rawBlock, 8), seed);
    }

    [Test]
    public void SolveLeft_ZeroDiagonal_ThrowsSingular()
    {
        var t = new double[] { 1, 0, 0, 2, 0, 0, 3, 4, 5 };
        var e = Assert.Throws<SingularMatrixException>(() =>
            TriangularSolve.SolveLeft<double>(Triangle.Lower, false, 3, 1, t, new double[3]))!;
        Assert.That(e.DiagonalIndex, Is.EqualTo(1));
    }

    [Test]
    public void SolveLeft_WithLeadingDimensions_Works()
    {
        int n = 6, nrhs = 2, ldt = 8, ldb = 5;
        var rng = new Random(9);
        var t = TriangularMatrix(rng, n, Triangle.Upper);
        var tPadded = new double[(n - 1) * ldt + n];
        for (int i = 0; i < n; i++) Array.Copy(t, i * n, tPadded, i * ldt, n);
        var x = Random(rng, n, nrhs);
        var b = Multiply(OpT(t, n, Triangle.Upper, true), x, n, n, nrhs);
        var bPadded = new double[(n - 1) * ldb + nrhs];
        for (int i = 0; i < n; i++) Array.Copy(b, i * nrhs, bPadded, i * ldb, nrhs);
        TriangularSolve.SolveLeft<double>(Triangle.Upper, true, n, nrhs, tPadded, bPadded, ldt, ldb);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < nrhs; j++)
                Assert.That(bPadded[i * ldb + j], Is.EqualTo(x[i * nrhs + j]).Within(1e-12));
    }

    [Test]
    public void SolveLeft_Float_SmallResidual()
    {
        int n = 70, nrhs = 3;
        var rng = new Random(4);
        var t = TriangularMatrix(rng, n, Triangle.Lower);
        var b = Random(rng, n, nrhs);
        var xf = ToFloat(b);
        TriangularSolve.SolveLeft<float>(Triangle.Lower, true, n, nrhs, ToFloat(t), xf, 0, 0, 1, 16);
        var x = ToDouble(xf);
        var residual = Multiply(OpT(ToDouble(ToFloat(t)), n, Triangle.Lower, true), x, n, n, nrhs);
        Assert.That(FrobeniusDistance(residual, ToDouble(ToFloat(b))) / (Frobenius(OpT(t, n, Triangle.Lower, false)) * Frobenius(x)),
            Is.LessThan(4 * (n + 1) * EpsFloat));
    }
}

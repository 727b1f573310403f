using FsCheck;
using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

public class CholeskyTests
{
    // Backward stability of Cholesky (Higham, "Accuracy and Stability", Thm 10.3): L L^T = A + E with
    // |E| <= gamma_{n+1} |L||L^T|, so ||A - L L^T||_F <= c n eps ||A||_F for our well-scaled test matrices.
    private static double Bound(int n, double eps) => 4 * (n + 1) * eps;

    private static double ReconstructionError(double[] a, double[] l, int n) =>
        RelativeError(MultiplyABt(l, l, n, n, n), a);

    private static void AssertLowerWithPositiveDiagonal(double[] l, int n)
    {
        for (int i = 0; i < n; i++)
        {
            Assert.That(l[i * n + i], Is.GreaterThan(0), $"diagonal {i}");
            for (int j = i + 1; j < n; j++) Assert.That(l[i * n + j], Is.EqualTo(0), $"upper entry ({i},{j})");
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(7)]
    [TestCase(64)]
    [TestCase(127)]
    [TestCase(128)]
    [TestCase(129)]
    [TestCase(130)]
    [TestCase(257)]
    public void Factor_ReconstructsA_Double(int n)
    {
        var a = RandomSpd(new Random(n), n);
        var l = (double[])a.Clone();
        Cholesky.Factor<double>(l, n);
        AssertLowerWithPositiveDiagonal(l, n);
        Assert.That(ReconstructionError(a, l, n), Is.LessThan(Bound(n, EpsDouble)));
    }

    [TestCase(1)]
    [TestCase(13)]
    [TestCase(130)]
    public void Factor_ReconstructsA_Float(int n)
    {
        var a = RandomSpd(new Random(n + 1), n);
        var lf = ToFloat(a);
        Cholesky.Factor<float>(lf, n);
        var l = ToDouble(lf);
        AssertLowerWithPositiveDiagonal(l, n);
        Assert.That(ReconstructionError(ToDouble(ToFloat(a)), l, n), Is.LessThan(Bound(n, EpsFloat)));
    }

    [FsCheck.NUnit.Property(MaxTest = 40)]
    public void Factor_ReconstructsA_AnyBlockSize(int rawSize, int rawBlock, int seed)
    {
        int n = Size(rawSize, 40), nb = Size(rawBlock, 9);
        var a = RandomSpd(new Random(seed), n);
        var l = (double[])a.Clone();
        Cholesky.Factor<double>(l, n, n, maxThreads: 1, blockSize: nb);
        AssertLowerWithPositiveDiagonal(l, n);
        Assert.That(ReconstructionError(a, l, n), Is.LessThan(Bound(n, EpsDouble)), $"n={n} nb={nb}");
    }

    [Test]
    public void Factor_WithLeadingDimension_LeavesPaddingAlone()
    {
        int n = 9, lda = 12;
        var a = RandomSpd(new Random(3), n);
        var padded = new double[(n - 1) * lda + n];
        Array.Fill(padded, 42.0);
        for (int i = 0; i < n; i++) Array.Copy(a, i * n, padded, i * lda, n);
        Cholesky.Factor<double>(padded, n, lda);
        var l = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(padded, i * lda, l, i * n, n);
            for (int j = n; j < lda && i * lda + j < padded.Length; j++) Assert.That(padded[i * lda + j], Is.EqualTo(42.0));
        }
        Assert.That(ReconstructionError(a, l, n), Is.LessThan(Bound(n, EpsDouble)));
    }

    [TestCase(4, 2)]
    [TestCase(200, 150)]
    [TestCase(300, 0)]
    public void Factor_NegativePivot_ThrowsWithPivotIndex(int n, int bad)
    {
        var a = Identity(n);
        a[bad * n + bad] = -1;
        var e = Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor<double>(a, n))!;
        Assert.That(e.PivotIndex, Is.EqualTo(bad));
        Assert.That(e.MatrixSize, Is.EqualTo(n));
        Assert.That(e.PivotValue, Is.EqualTo(-1));
        Assert.That(e.Message, Does.Contain($"pivot {bad}").And.Contain($"{n}x{n}"));
        Assert.That(e, Is.InstanceOf<LinalgException>().And.InstanceOf<ArithmeticException>());
    }

    [Test]
    public void Factor_SingularMatrix_ThrowsAtSecondPivot()
    {
        // [[1, 1], [1, 1]]: the Schur complement 1 - 1*1 is exactly 0.
        var e = Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor<float>(new float[] { 1, 1, 1, 1 }, 2))!;
        Assert.That(e.PivotIndex, Is.EqualTo(1));
        Assert.That(e.PivotValue, Is.EqualTo(0));
    }

    [Test]
    public void Factor_IndefiniteRandom_ThrowsNotPositiveDefinite()
    {
        int n = 140;
        var a = Symmetric(new Random(5), n);
        Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor<double>(a, n));
    }

    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void Factor_NonFiniteInLowerTriangle_Throws(double bad)
    {
        int n = 10;
        var a = RandomSpd(new Random(1), n);
        a[5 * n + 3] = bad;
        var e = Assert.Throws<NonFiniteMatrixException>(() => Cholesky.Factor<double>(a, n))!;
        Assert.That((e.ArgumentName, e.Index, e.Row, e.Column), Is.EqualTo(("a", 5 * n + 3, 5, 3)));
        Assert.That(e.Message, Does.Contain("'a'").And.Contain("row 5, column 3"));
    }

    [TestCase(6)]
    [TestCase(300)]
    public void Factor_NaNInUpperTriangle_IsNotRead(int n)
    {
        var a = RandomSpd(new Random(2), n);
        var expected = (double[])a.Clone();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) a[i * n + j] = double.NaN;
        Cholesky.Factor<double>(a, n);
        Assert.That(ReconstructionError(expected, a, n), Is.LessThan(Bound(n, EpsDouble)));
    }

    [Test]
    public void Factor_WrongLength_NamesArgumentAndSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => Cholesky.Factor<double>(new double[8], 3))!;
        Assert.That(e.Message, Does.Contain("'a'").And.Contain("3x3"));
    }

    [TestCase(1, 1)]
    [TestCase(17, 3)]
    [TestCase(130, 5)]
    public void Solve_WithFactor_SolvesA(int n, int nrhs)
    {
        var rng = new Random(n);
        var a = RandomSpd(rng, n);
        var x = Random(rng, n, nrhs);
        var b = Multiply(a, x, n, n, nrhs);
        var l = (double[])a.Clone();
        Cholesky.Factor<double>(l, n);
        Cholesky.Solve<double>(l, n, b, nrhs);
        Assert.That(RelativeError(b, x), Is.LessThan(1e-12));
    }
}

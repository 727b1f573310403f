using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

public class SymmetricMatrixFunctionTests
{
    [TestCase(1)]
    [TestCase(11)]
    [TestCase(130)]
    public void InverseSquareRoot_WhitensA(int n)
    {
        var a = RandomSpd(new Random(n), n);
        var r = new double[n * n];
        SymmetricMatrixFunction.InverseSquareRoot(a, n, r);
        // A^-1/2 A A^-1/2 = I
        var whitened = Multiply(Multiply(r, a, n, n, n), r, n, n, n);
        Assert.That(FrobeniusDistance(whitened, Identity(n)), Is.LessThan(1e-12 * n));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) Assert.That(r[i * n + j], Is.EqualTo(r[j * n + i]));
    }

    [FsCheck.NUnit.Property(MaxTest = 25)]
    public void DampedInverse_MatchesSpdInverse(int rawN, int seed, int rawDamping)
    {
        int n = Size(rawN, 30);
        double d = Size(rawDamping, 100) / 10.0;
        var a = RandomSpd(new Random(seed), n, eps: 0, k: Math.Max(1, n / 2)); // rank-deficient PSD, like a factor
        var r = new double[n * n];
        SymmetricMatrixFunction.Power(a, n, -1, r, damping: d);
        var damped = (double[])a.Clone();
        SymmetricOps.AddScaledIdentity<double>(damped, n, d);
        var expected = new double[n * n];
        Spd.Inverse<double>(damped, n, expected);
        Assert.That(RelativeError(r, expected), Is.LessThan(1e-12));
    }

    [Test]
    public void SquareRoot_OfRankDeficientPsd_SquaresBack()
    {
        int n = 25;
        var a = RandomSpd(new Random(4), n, eps: 0, k: 5);
        var r = new double[n * n];
        SymmetricMatrixFunction.Power(a, n, 0.5, r);
        Assert.That(RelativeError(Multiply(r, r, n, n, n), a), Is.LessThan(1e-7), "sqrt of rounding-level eigenvalues is ~1e-8");
    }

    [Test]
    public void Apply_ArbitraryFunction_OnIndefinite()
    {
        int n = 15;
        var a = Symmetric(new Random(6), n);
        var r = new double[n * n];
        SymmetricMatrixFunction.Apply(a, n, x => x * x, r);
        Assert.That(RelativeError(r, Multiply(a, a, n, n, n)), Is.LessThan(1e-13));
    }

    [Test]
    public void NegativePower_OfIndefinite_ThrowsNotPositiveDefinite()
    {
        var a = new double[] { 1, 0, 0, -2 };
        var e = Assert.Throws<NotPositiveDefiniteException>(() => SymmetricMatrixFunction.Power(a, 2, -0.5, new double[4], damping: 1))!;
        Assert.That((e.PivotIndex, e.PivotValue), Is.EqualTo((0, -1.0)));
    }

    [Test]
    public void FromEigen_ReusesOneDecomposition()
    {
        int n = 10;
        var a = RandomSpd(new Random(10), n);
        var w = new double[n];
        var v = new double[n * n];
        SymmetricEigen.Decompose(a, n, w, v);
        var r = new double[n * n];
        SymmetricMatrixFunction.FromEigen(w, v, n, x => 1 / (x + 0.3), r);
        var expected = new double[n * n];
        SymmetricMatrixFunction.Power(a, n, -1, expected, damping: 0.3);
        Assert.That(RelativeError(r, expected), Is.LessThan(1e-13));
    }
}

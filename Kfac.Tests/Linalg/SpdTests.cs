using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

public class SpdTests
{
    private static void AssertExactlySymmetric(ReadOnlySpan<double> a, int n)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                if (a[i * n + j] != a[j * n + i]) Assert.Fail($"not exactly symmetric at ({i},{j})");
    }

    // ||A A^-1 - I||_F / sqrt(n) <= c n eps cond(A); the test matrices have cond(A) <= ~50.
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(7)]
    [TestCase(128)]
    [TestCase(130)]
    [TestCase(257)]
    public void Inverse_TimesA_IsIdentity_AndExactlySymmetric(int n)
    {
        var a = RandomSpd(new Random(n), n);
        var inv = new double[n * n];
        Spd.Inverse<double>(a, n, inv);
        AssertExactlySymmetric(inv, n);
        Assert.That(FrobeniusDistance(Multiply(a, inv, n, n, n), Identity(n)) / Math.Sqrt(n), Is.LessThan(1e-12));
    }

    [FsCheck.NUnit.Property(MaxTest = 30)]
    public void InverseFromFactor_AnyBlockSize(int rawN, int rawBlock, int seed)
    {
        int n = Size(rawN, 40), nb = Size(rawBlock, 9);
        var a = RandomSpd(new Random(seed), n);
        var l = (double[])a.Clone();
        Cholesky.Factor<double>(l, n, n, 1, nb);
        var inv = new double[n * n];
        Spd.InverseFromFactor<double>(l, n, inv, 1, nb);
        AssertExactlySymmetric(inv, n);
        Assert.That(FrobeniusDistance(Multiply(a, inv, n, n, n), Identity(n)) / Math.Sqrt(n), Is.LessThan(1e-12), $"n={n} nb={nb}");
    }

    [Test]
    public void Inverse_InPlace_Works()
    {
        int n = 20;
        var a = RandomSpd(new Random(20), n);
        var inv = (double[])a.Clone();
        Spd.Inverse<double>(inv, n, inv);
        Assert.That(FrobeniusDistance(Multiply(a, inv, n, n, n), Identity(n)) / Math.Sqrt(n), Is.LessThan(1e-12));
    }

    [Test]
    public void Inverse_Float_TimesA_IsIdentity()
    {
        int n = 150;
        var a = ToDouble(ToFloat(RandomSpd(new Random(8), n)));
        var inv = new float[n * n];
        Spd.Inverse<float>(ToFloat(a), n, inv);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                Assert.That(inv[i * n + j], Is.EqualTo(inv[j * n + i]));
        Assert.That(FrobeniusDistance(Multiply(a, ToDouble(inv), n, n, n), Identity(n)) / Math.Sqrt(n), Is.LessThan(1e-4));
    }

    [TestCase(1, 1)]
    [TestCase(9, 4)]
    [TestCase(131, 2)]
    public void Solve_SolvesA(int n, int nrhs)
    {
        var rng = new Random(n);
        var a = RandomSpd(rng, n);
        var x = Random(rng, n, nrhs);
        var b = Multiply(a, x, n, n, nrhs);
        Spd.Solve<double>(a, n, b, nrhs);
        Assert.That(RelativeError(b, x), Is.LessThan(1e-12));
    }

    [Test]
    public void Inverse_NotSpd_Throws()
    {
        var a = new double[] { 1, 2, 2, 1 };
        Assert.Throws<NotPositiveDefiniteException>(() => Spd.Inverse<double>(a, 2, new double[4]));
    }
}

using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

public class GuardedSpdInverseTests
{
    /// <summary>
    /// A float matrix that is exactly SPD as stored but too ill-conditioned for float32 Cholesky:
    /// A = v v^T + 2^-23 I with v_i = k_i / 16, k_i in 8..16, so every entry is exactly representable in float
    /// and A has eigenvalues 2^-23 (n - 1 times) and 2^-23 + |v|^2 (cond ~ 4e8 for n = 100). In float32 the first
    /// column l = fl(v) carries rounding errors e ~ eps_f |v|, and the Schur complement becomes
    /// 2^-23 I + (v v^T - l l^T), whose rank-2 part has an eigenvalue near -|v||e| ~ -1e-6 &lt; -2^-23, so a later
    /// pivot goes negative. The tests check both facts (float32 fails, float64 succeeds) instead of trusting this.
    /// </summary>
    private static float[] FloatIllConditioned(int n = 100)
    {
        var rng = new Random(7);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.Next(8, 17) / 16f;
        var a = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                a[i * n + j] = v[i] * v[j] + (i == j ? 1f / (1 << 23) : 0f);
        return a;
    }

    [Test]
    public void Float_IllConditioned_FallsBackToDouble()
    {
        int n = 100;
        var a = FloatIllConditioned(n);
        Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor<float>((float[])a.Clone(), n),
            "precondition: float32 Cholesky must fail");
        var expected = new double[n * n];
        Spd.Inverse<double>(ToDouble(a), n, expected); // precondition: SPD in float64 (throws otherwise)

        var inv = new float[n * n];
        var info = GuardedSpdInverse.Invert(a, n, inv);

        Assert.That(info, Is.EqualTo(new SpdInverseInfo(FactorPrecision.Double, FellBackToDouble: true, Damping: 0)));
        // Only the final rounding to float separates the two: relative error ~ eps_f.
        Assert.That(RelativeError(ToDouble(inv), expected), Is.LessThan(1e-6));
    }

    [Test]
    public void Float_WellConditioned_StaysInSingle()
    {
        int n = 50;
        var a = ToFloat(RandomSpd(new Random(1), n));
        var inv = new float[n * n];
        var info = GuardedSpdInverse.Invert(a, n, inv);
        Assert.That(info, Is.EqualTo(new SpdInverseInfo(FactorPrecision.Single, false, 0)));
        Assert.That(FrobeniusDistance(Multiply(ToDouble(a), ToDouble(inv), n, n, n), Identity(n)) / Math.Sqrt(n), Is.LessThan(1e-4));
    }

    [Test]
    public void Float_InPlace_FallbackStillSeesTheInput()
    {
        int n = 100;
        var a = FloatIllConditioned(n);
        var expected = new double[n * n];
        Spd.Inverse<double>(ToDouble(a), n, expected);
        var info = GuardedSpdInverse.Invert(a, n, a);
        Assert.That(info.FellBackToDouble, Is.True);
        Assert.That(RelativeError(ToDouble(a), expected), Is.LessThan(1e-6));
    }

    [TestCase(0.0)]
    [TestCase(0.5)]
    [TestCase(3.0)]
    public void Damping_InvertsAPlusDI(double d)
    {
        int n = 30;
        var a = RandomSpd(new Random(3), n);
        var damped = (double[])a.Clone();
        SymmetricOps.AddScaledIdentity<double>(damped, n, d);
        var expected = new double[n * n];
        Spd.Inverse<double>(damped, n, expected);

        var inv = new double[n * n];
        var info = GuardedSpdInverse.Invert(a, n, inv, damping: d);
        Assert.That(info, Is.EqualTo(new SpdInverseInfo(FactorPrecision.Double, false, d)));
        Assert.That(RelativeError(inv, expected), Is.LessThan(1e-13));

        var invF = new float[n * n];
        GuardedSpdInverse.Invert(ToFloat(a), n, invF, damping: d);
        Assert.That(RelativeError(ToDouble(invF), expected), Is.LessThan(1e-5));
    }

    [Test]
    public void Damping_MakesSingularFactorInvertible()
    {
        // Rank-1 factor (a single example's a a^T): singular, fine once damped.
        int n = 8;
        var v = Random(new Random(2), n, 1);
        var a = MultiplyABt(v, v, n, 1, n);
        Assert.Throws<NotPositiveDefiniteException>(() => GuardedSpdInverse.Invert(ToFloat(a), n, new float[n * n]));
        var inv = new double[n * n];
        GuardedSpdInverse.Invert(a, n, inv, damping: 1e-3);
        SymmetricOps.AddScaledIdentity<double>(a, n, 1e-3);
        Assert.That(FrobeniusDistance(Multiply(a, inv, n, n, n), Identity(n)), Is.LessThan(1e-9));
    }

    [TestCase(12)]
    [TestCase(45)]   // the symmetrise and mirror loops walk 32 x 32 tiles: more than one, and a partial one
    [TestCase(100)]
    public void Asymmetric_InvertsTheSymmetricPart_ExactlySymmetricResult(int n)
    {
        var rng = new Random(4 + n);
        var s = RandomSpd(rng, n);
        var a = (double[])s.Clone();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double skew = 1e-3 * Gaussian(rng);
                a[i * n + j] += skew;
                a[j * n + i] -= skew;
            }
        var inv = new double[n * n];
        GuardedSpdInverse.Invert(a, n, inv);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                Assert.That(inv[i * n + j], Is.EqualTo(inv[j * n + i]));
        Assert.That(FrobeniusDistance(Multiply(s, inv, n, n, n), Identity(n)), Is.LessThan(1e-10));
    }

    [Test]
    public void NaNInUpperTriangle_ThrowsNonFinite()
    {
        int n = 5;
        var a = ToFloat(RandomSpd(new Random(5), n));
        a[1 * n + 3] = float.NaN;
        var e = Assert.Throws<NonFiniteMatrixException>(() => GuardedSpdInverse.Invert(a, n, new float[n * n]))!;
        Assert.That((e.ArgumentName, e.Row, e.Column), Is.EqualTo(("a", 1, 3)));
    }

    [Test]
    public void Indefinite_ThrowsNotPositiveDefinite_AfterBothPrecisions()
    {
        var a = new float[] { 1, 0, 0, 0, -2, 0, 0, 0, 3 };
        var e = Assert.Throws<NotPositiveDefiniteException>(() => GuardedSpdInverse.Invert(a, 3, new float[9]))!;
        Assert.That(e.PivotIndex, Is.EqualTo(1));
        Assert.That(e.InnerException, Is.InstanceOf<NotPositiveDefiniteException>());
        Assert.That(e.Message, Does.Contain("float32 failed at pivot 1"));
    }

    [Test]
    public void InverseBeyondFloatRange_FallsBackThenThrowsNotPositiveDefinite()
    {
        // diag(1, 1e-39): SPD (1e-39 is a float subnormal), but the inverse entry 1e39 exceeds float.MaxValue, so the
        // float32 inverse overflows, the float64 retry succeeds and its result still cannot be returned as float.
        var a = new float[] { 1, 0, 0, 1e-39f };
        var e = Assert.Throws<NotPositiveDefiniteException>(() => GuardedSpdInverse.Invert(a, 2, new float[4]))!;
        Assert.That(e.Message, Does.Contain("exceeds the float32 range").And.Contain("overflowed"));
        Assert.That((e.PivotIndex, (float)e.PivotValue), Is.EqualTo((1, 1e-39f)));
        Assert.That(GuardedSpdInverse.Invert(a, 2, new float[4], damping: 1e-6).Precision, Is.EqualTo(FactorPrecision.Single));
    }

    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void BadDamping_Throws(double d) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => GuardedSpdInverse.Invert(new double[] { 1 }, 1, new double[1], d));

    [Test]
    public void SymmetricOps_TraceAndSymmetrize()
    {
        var a = new double[] { 1, 2, 4, 3 };
        Assert.That(SymmetricOps.Trace<double>(a, 2), Is.EqualTo(4));
        SymmetricOps.Symmetrize<double>(a, 2);
        Assert.That(a, Is.EqualTo(new double[] { 1, 3, 3, 3 }));
    }
}

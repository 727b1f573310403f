using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

public class KroneckerDifferenceInverseTests
{
    private static double[] Kron(double[] a, int na, double[] b, int nb)
    {
        var k = new double[na * nb * na * nb];
        Kronecker.Product<double>(a, na, na, b, nb, nb, k);
        return k;
    }

    /// <summary>SPD A with lambda_min &gt;= 1 and symmetric indefinite C with ||C||_2 = scale, so |s| &lt;= scale.</summary>
    private static (double[] A, double[] C) Pair(Random rng, int n, double scale)
    {
        var a = RandomSpd(rng, n, eps: 1);
        var c = Symmetric(rng, n);
        var w = new double[n];
        SymmetricEigen.Eigenvalues(c, n, w);
        double norm = Math.Max(Math.Abs(w[0]), Math.Abs(w[^1]));
        for (int i = 0; i < c.Length; i++) c[i] *= scale / norm;
        return (a, c);
    }

    private static double[] DenseSolve(double[] a, double[] c, int na, double[] b, double[] d, int nb, double[] v)
    {
        int n = na * nb;
        var ab = Kron(a, na, b, nb);
        var cd = Kron(c, na, d, nb);
        var m = new double[n * n];
        for (int i = 0; i < m.Length; i++) m[i] = ab[i] - cd[i];
        var x = new double[n];
        Kronecker.Vec<double>(v, nb, na, x);
        Spd.Solve<double>(m, n, x, 1);
        var result = new double[n];
        Kronecker.Unvec<double>(x, nb, na, result);
        return result;
    }

    [FsCheck.NUnit.Property(MaxTest = 40)]
    public void Apply_EqualsDenseSolve(int rawA, int rawB, int seed)
    {
        int na = Size(rawA, 6), nb = Size(rawB, 6);
        var rng = new Random(seed);
        var (a, c) = Pair(rng, na, 0.9);
        var (b, d) = Pair(rng, nb, 0.9);
        var v = Random(rng, nb, na);
        var inverse = new KroneckerDifferenceInverse(a, c, na, b, d, nb);
        var y = new double[nb * na];
        inverse.Apply(v, y);
        Assert.That(RelativeError(y, DenseSolve(a, c, na, b, d, nb, v)), Is.LessThan(1e-10), $"na={na} nb={nb}");
        Assert.That(inverse.MinDenominator, Is.GreaterThan(0));
    }

    [Test]
    public void Apply_ManyRightHandSides_ReusesPrecomputation()
    {
        int na = 5, nb = 7;
        var rng = new Random(3);
        var (a, c) = Pair(rng, na, 0.99);
        var (b, d) = Pair(rng, nb, 0.99);
        var inverse = new KroneckerDifferenceInverse(a, c, na, b, d, nb);
        for (int k = 0; k < 3; k++)
        {
            var v = Random(rng, nb, na);
            var y = (double[])v.Clone();
            inverse.Apply(y, y); // in place
            Assert.That(RelativeError(y, DenseSolve(a, c, na, b, d, nb, v)), Is.LessThan(1e-9));
        }
    }

    [Test]
    public void GeneralisedEigenvalues_Whiten()
    {
        // For C = t A, every s1 equals t.
        int n = 6;
        var (a, _) = Pair(new Random(1), n, 1);
        var c = a.Select(x => 0.25 * x).ToArray();
        var b = Identity(2);
        var inverse = new KroneckerDifferenceInverse(a, c, n, b, new double[4], 2);
        Assert.That(inverse.S1, Is.All.EqualTo(0.25).Within(1e-13));
        Assert.That(inverse.S2, Is.All.EqualTo(0.0));
    }

    [Test]
    public void NotPositiveDefiniteDifference_Throws()
    {
        // A (x) B - C (x) D with C = 2A, D = B: equals -(A (x) B), negative definite.
        int na = 3, nb = 2;
        var a = RandomSpd(new Random(2), na);
        var b = RandomSpd(new Random(3), nb);
        var c = a.Select(x => 2 * x).ToArray();
        var e = Assert.Throws<NotPositiveDefiniteException>(() => new KroneckerDifferenceInverse(a, c, na, b, b, nb))!;
        Assert.That(e.MatrixSize, Is.EqualTo(na * nb));
        Assert.That(e.PivotValue, Is.EqualTo(-1).Within(1e-12));
    }

    [Test]
    public void NaN_Throws()
    {
        var e = Assert.Throws<NonFiniteMatrixException>(() =>
            new KroneckerDifferenceInverse([1.0], [double.NaN], 1, [1.0], [0.0], 1))!;
        Assert.That(e.ArgumentName, Is.EqualTo("c"));
    }
}

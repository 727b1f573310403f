using Kfac.Linalg;
using NUnit.Framework;
using static Kfac.Tests.Linalg.TestMatrices;

namespace Kfac.Tests.Linalg;

public class KroneckerTests
{
    private static double[] Kron(double[] a, int ar, int ac, double[] b, int br, int bc)
    {
        var k = new double[ar * br * ac * bc];
        Kronecker.Product<double>(a, ar, ac, b, br, bc, k);
        return k;
    }

    private static double[] Vec(double[] x, int rows, int cols)
    {
        var v = new double[rows * cols];
        Kronecker.Vec<double>(x, rows, cols, v);
        return v;
    }

    [Test]
    public void Product_MatchesDefinition()
    {
        var a = new double[] { 1, 2, 3, 4, 5, 6 };          // 2 x 3
        var b = new double[] { 0, 1, -1, 2 };               // 2 x 2
        var k = Kron(a, 2, 3, b, 2, 2);                     // 4 x 6
        Assert.That(k[0 * 6 + 1], Is.EqualTo(1 * 1));       // A[0,0] B[0,1]
        Assert.That(k[3 * 6 + 5], Is.EqualTo(6 * 2));       // A[1,2] B[1,1]
        Assert.That(k[2 * 6 + 2], Is.EqualTo(5 * 0));       // A[1,1] B[0,0]
        Assert.That(k[1 * 6 + 4], Is.EqualTo(3 * -1));      // A[0,2] B[1,0]
    }

    [Test]
    public void Vec_StacksColumns()
    {
        var x = new double[] { 1, 2, 3, 4, 5, 6 };          // 2 x 3 row-major
        Assert.That(Vec(x, 2, 3), Is.EqualTo(new double[] { 1, 4, 2, 5, 3, 6 }));
        var back = new double[6];
        Kronecker.Unvec<double>(Vec(x, 2, 3), 2, 3, back);
        Assert.That(back, Is.EqualTo(x));
    }

    /// <summary>(A (x) B) vec(X) = vec(B X A^T) with vec stacking columns, over random non-square shapes.</summary>
    [FsCheck.NUnit.Property(MaxTest = 40)]
    public void MatVec_EqualsExplicitProductOnVec(int rawAr, int rawAc, int rawBr, int rawBc, int seed)
    {
        int ar = Size(rawAr, 6), ac = Size(rawAc, 6), br = Size(rawBr, 6), bc = Size(rawBc, 6);
        var rng = new Random(seed);
        var a = Random(rng, ar, ac);
        var b = Random(rng, br, bc);
        var x = Random(rng, bc, ac);
        var explicitResult = Multiply(Kron(a, ar, ac, b, br, bc), Vec(x, bc, ac), ar * br, ac * bc, 1);

        var y = new double[br * ar];
        Kronecker.MatVec<double>(a, ar, ac, b, br, bc, x, y);
        Assert.That(FrobeniusDistance(Vec(y, br, ar), explicitResult), Is.LessThan(1e-12 * (1 + Frobenius(explicitResult))));
        // The same result by the naive B X A^T.
        Assert.That(RelativeError(y, MultiplyABt(Multiply(b, x, br, bc, ac), a, br, ac, ar)), Is.LessThan(1e-13));
    }

    /// <summary>Row-major flattening: the flat arrays satisfy rowvec(B X A^T) = (B (x) A) rowvec(X).</summary>
    [FsCheck.NUnit.Property(MaxTest = 20)]
    public void RowMajorFlattening_UsesSwappedFactors(int rawAr, int rawAc, int rawBr, int rawBc, int seed)
    {
        int ar = Size(rawAr, 5), ac = Size(rawAc, 5), br = Size(rawBr, 5), bc = Size(rawBc, 5);
        var rng = new Random(seed);
        var a = Random(rng, ar, ac);
        var b = Random(rng, br, bc);
        var x = Random(rng, bc, ac);
        var y = new double[br * ar];
        Kronecker.MatVec<double>(a, ar, ac, b, br, bc, x, y);
        var flat = Multiply(Kron(b, br, bc, a, ar, ac), x, br * ar, bc * ac, 1);
        Assert.That(FrobeniusDistance(y, flat), Is.LessThan(1e-12 * (1 + Frobenius(flat))));
    }

    /// <summary>(A (x) B)^-1 from the factors' inverses equals the inverse of the explicit product.</summary>
    [FsCheck.NUnit.Property(MaxTest = 30)]
    public void InverseMatVec_EqualsInverseOfExplicitProduct(int rawA, int rawB, int seed)
    {
        int na = Size(rawA, 6), nb = Size(rawB, 6);
        var rng = new Random(seed);
        var a = RandomSpd(rng, na);
        var b = RandomSpd(rng, nb);
        var x = Random(rng, nb, na);
        var ai = new double[na * na];
        var bi = new double[nb * nb];
        Spd.Inverse<double>(a, na, ai);
        Spd.Inverse<double>(b, nb, bi);
        var y = new double[nb * na];
        Kronecker.InverseMatVec<double>(ai, na, bi, nb, x, y);

        int n = na * nb;
        var kInverse = new double[n * n];
        Spd.Inverse<double>(Kron(a, na, na, b, nb, nb), n, kInverse);
        var expected = Multiply(kInverse, Vec(x, nb, na), n, n, 1);
        Assert.That(RelativeError(Vec(y, nb, na), expected), Is.LessThan(1e-11));

        var solved = new double[nb * na];
        Kronecker.SolveSpd<double>(a, na, b, nb, x, solved);
        Assert.That(RelativeError(Vec(solved, nb, na), expected), Is.LessThan(1e-11));
    }

    /// <summary>K-FAC with a row-major W (out x in): the preconditioned gradient G^-1 dW A^-1 is the matrix form of
    /// (A (x) G)^-1 vec(dW), and in the flat row-major array it is (G (x) A)^-1 applied to rowvec(dW).</summary>
    [Test]
    public void KfacPreconditionedGradient_RowMajorW()
    {
        int inputs = 4, outputs = 3;
        var rng = new Random(11);
        var a = RandomSpd(rng, inputs);
        var g = RandomSpd(rng, outputs);
        var dw = Random(rng, outputs, inputs);
        var ai = new double[inputs * inputs];
        var gi = new double[outputs * outputs];
        Spd.Inverse<double>(a, inputs, ai);
        Spd.Inverse<double>(g, outputs, gi);
        var step = new double[outputs * inputs];
        Kronecker.InverseMatVec<double>(ai, inputs, gi, outputs, dw, step);

        var direct = Multiply(Multiply(gi, dw, outputs, outputs, inputs), ai, outputs, inputs, inputs);
        Assert.That(RelativeError(step, direct), Is.LessThan(1e-13));
        int n = inputs * outputs;
        var gaInverse = new double[n * n];
        Spd.Inverse<double>(Kron(g, outputs, outputs, a, inputs, inputs), n, gaInverse);
        Assert.That(RelativeError(step, Multiply(gaInverse, dw, n, n, 1)), Is.LessThan(1e-12));
    }

    [Test]
    public void MatVec_WrongShape_NamesArgument()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Kronecker.MatVec<double>(new double[6], 2, 3, new double[4], 2, 2, new double[5], new double[4]))!;
        Assert.That(e.ParamName, Is.EqualTo("x"));
        Assert.That(e.Message, Does.Contain("2x3"));
    }

    [Test]
    public void MatVec_Float()
    {
        var a = new float[] { 1, 2, 3, 4 };
        var b = new float[] { 2 };
        var x = new float[] { 1, 1 };
        var y = new float[2];
        Kronecker.MatVec<float>(a, 2, 2, b, 1, 1, x, y);
        Assert.That(y, Is.EqualTo(new float[] { 6, 14 }));
    }
}

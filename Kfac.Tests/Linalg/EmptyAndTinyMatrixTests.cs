using Kfac.Linalg;
using NUnit.Framework;

namespace Kfac.Tests.Linalg;

/// <summary>n = 0 and n = 1 through every entry point: nothing throws, and 1 x 1 results are the scalar formulas.</summary>
public class EmptyAndTinyMatrixTests
{
    [Test]
    public void EmptyMatrices_AreNoOps()
    {
        Cholesky.Factor<double>(Span<double>.Empty, 0);
        TriangularSolve.SolveLeft<double>(Triangle.Upper, true, 0, 3, ReadOnlySpan<double>.Empty, Span<double>.Empty);
        Spd.Inverse<double>(ReadOnlySpan<double>.Empty, 0, Span<double>.Empty);
        Spd.Solve<float>(ReadOnlySpan<float>.Empty, 0, Span<float>.Empty, 2);
        Assert.That(GuardedSpdInverse.Invert(ReadOnlySpan<float>.Empty, 0, Span<float>.Empty).Precision, Is.EqualTo(FactorPrecision.Single));
        SymmetricEigen.Decompose(ReadOnlySpan<double>.Empty, 0, Span<double>.Empty, Span<double>.Empty);
        SymmetricMatrixFunction.Power(ReadOnlySpan<double>.Empty, 0, -1, Span<double>.Empty);
        Kronecker.MatVec<double>(ReadOnlySpan<double>.Empty, 0, 0, new double[] { 2 }, 1, 1, ReadOnlySpan<double>.Empty, Span<double>.Empty);
    }

    [Test]
    public void OneByOne_ScalarFormulas()
    {
        var a = new double[] { 4 };
        Cholesky.Factor<double>(a, 1);
        Assert.That(a[0], Is.EqualTo(2));

        var inv = new double[1];
        Spd.Inverse<double>(new double[] { 4 }, 1, inv);
        Assert.That(inv[0], Is.EqualTo(0.25));

        var invF = new float[1];
        var info = GuardedSpdInverse.Invert(new float[] { 3 }, 1, invF, damping: 1);
        Assert.That((invF[0], info.Damping), Is.EqualTo((0.25f, 1.0)));

        var r = new double[1];
        SymmetricMatrixFunction.InverseSquareRoot(new double[] { 16 }, 1, r);
        Assert.That(r[0], Is.EqualTo(0.25));

        var kd = new KroneckerDifferenceInverse([2.0], [1.0], 1, [3.0], [1.5], 1);
        var y = new double[1];
        kd.Apply([1.0], y);
        Assert.That(y[0], Is.EqualTo(1 / (2.0 * 3.0 - 1.0 * 1.5)).Within(1e-15));
    }
}

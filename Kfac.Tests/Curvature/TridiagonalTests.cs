using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Linalg;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Curvature;

/// <summary>The block-tridiagonal inverse (section 4.3) against dense linear algebra, and its quality.</summary>
public class TridiagonalTests
{
    private static (Sequential Net, TridiagonalChain Chain, IReadOnlyList<LayerCapture> Captures) Setup(double gamma, int seed = 71)
    {
        var net = Network([3, 4, 3, 2], Activation.Tanh, seed);
        var x = Inputs(9, 3, seed + 1);
        var captures = Capture(net, new SoftmaxCrossEntropy(), x, FisherEstimation.Exact);
        var chain = new TridiagonalChain(captures.Select(c => (DenseTag)c.Tag).ToList());
        chain.UpdateStatistics(captures, 0.95);
        chain.RefreshInverse(gamma);
        return (net, chain, captures);
    }

    /// <summary>
    /// Dense construction in per-layer column-stacked vec coordinates: F_ii = damped A (x) G, F_{i,i+1} =
    /// A_{i,i+1} (x) G_{i,i+1}; Psi_i = F_{i,i+1} F_{i+1,i+1}^-1, Sigma_i = F_ii - Psi_i F_{i+1,i+1} Psi_i^T,
    /// F_hat^-1 = Xi^T Lambda Xi. The chain's Kronecker-structured application must equal it.
    /// </summary>
    [Test]
    public void InverseEqualsDenseBlockTridiagonalInverse()
    {
        const double gamma = 0.2;
        var (_, chain, _) = Setup(gamma);
        var tags = chain.Tags.Cast<DenseTag>().ToArray();
        int l = tags.Length;
        var sizes = tags.Select(t => t.OutFeatures * t.InputDim).ToArray();
        var diag = new double[l][];
        for (int i = 0; i < l; i++)
        {
            var a = chain.InputFactor(i).ToArray<double>();
            var g = chain.OutputFactor(i).ToArray<double>();
            int dIn = tags[i].InputDim, dOut = tags[i].OutFeatures;
            double pi = FactoredDamping.Pi(Trace(a, dIn), dIn, Trace(g, dOut), dOut);
            diag[i] = Kron(AddIdentity(a, dIn, pi * gamma), dIn, dIn, AddIdentity(g, dOut, gamma / pi), dOut, dOut);
        }
        var off = new double[l - 1][];
        for (int i = 0; i + 1 < l; i++)
            off[i] = Kron(chain.InputCrossFactor(i).ToArray<double>(), tags[i].InputDim, tags[i + 1].InputDim,
                chain.OutputCrossFactor(i).ToArray<double>(), tags[i].OutFeatures, tags[i + 1].OutFeatures);

        var psi = new double[l - 1][];
        var sigmaInv = new double[l][];
        for (int i = 0; i + 1 < l; i++)
        {
            var nextInv = Inverse(diag[i + 1], sizes[i + 1]);
            psi[i] = Mul(off[i], nextInv, sizes[i], sizes[i + 1], sizes[i + 1]);
            var correction = Mul(Mul(psi[i], diag[i + 1], sizes[i], sizes[i + 1], sizes[i + 1]), Transpose(psi[i], sizes[i], sizes[i + 1]), sizes[i], sizes[i], sizes[i + 1]);
            var sigma = diag[i].Select((v, k) => v - correction[k]).ToArray();
            Symmetrise(sigma, sizes[i]);
            sigmaInv[i] = Inverse(sigma, sizes[i]);
        }
        sigmaInv[l - 1] = Inverse(diag[l - 1], sizes[l - 1]);

        var rng = new System.Random(5);
        var v = chain.Parameters.Select(t => Tensor.RandN(t.Shape, rng, dtype: DType.Float64)).ToArray();
        var vv = ToVec(tags, v);
        // u = Xi v, w = Lambda u, out = Xi^T w
        var u = new double[l][];
        for (int i = 0; i < l; i++)
        {
            u[i] = (double[])vv[i].Clone();
            if (i + 1 < l) Subtract(u[i], MatVec(psi[i], vv[i + 1]));
        }
        var w = Enumerable.Range(0, l).Select(i => MatVec(sigmaInv[i], u[i])).ToArray();
        var expected = new double[l][];
        for (int i = 0; i < l; i++)
        {
            expected[i] = (double[])w[i].Clone();
            if (i > 0) Subtract(expected[i], MatVec(Transpose(psi[i - 1], sizes[i - 1], sizes[i]), w[i - 1]));
        }

        var result = chain.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
        chain.MultiplyByDampedPower(v, result, -1);
        var actual = ToVec(tags, result);
        Assert.That(RelativeError(actual.SelectMany(a => a).ToArray(), expected.SelectMany(a => a).ToArray()), Is.LessThan(1e-9));

        // F_hat agrees with F_breve on the diagonal and first off-diagonal blocks (the defining property):
        // the dense inverse of Xi^T Lambda Xi, read off block by block.
        var fhat = CurvatureDiagnostics.Dense([chain], chain.Parameters, 1);
        var fhatInverse = CurvatureDiagnostics.Dense([chain], chain.Parameters, -1);
        int total = sizes.Sum();
        var product = Mul(fhat, fhatInverse, total, total, total);
        for (int i = 0; i < total; i++)
            for (int j = 0; j < total; j++)
                Assert.That(product[i * total + j], Is.EqualTo(i == j ? 1 : 0).Within(1e-8), "power +1 and -1 are inverses");
    }

    [Test]
    public void ForwardProductAgreesWithTheKroneckerFactoredFisherOnTheTridiagonalBand()
    {
        const double gamma = 0.2;
        var (_, chain, _) = Setup(gamma, seed: 81);
        var tags = chain.Tags.Cast<DenseTag>().ToArray();
        // Probe with a vector supported on layer 1 only: F_hat v restricted to layers 0, 1, 2 must equal
        // (A_{0,1} (x) G_{0,1}) v_1, F_11 v_1 and (A_{1,2} (x) G_{1,2})^T v_1.
        var rng = new System.Random(6);
        var v = chain.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
        int first = tags[0].Parameters.Count;
        for (int j = 0; j < tags[1].Parameters.Count; j++) v[first + j] = Tensor.RandN(tags[1].Parameters[j].Shape, rng, dtype: DType.Float64);
        var result = chain.Parameters.Select(t => Tensor.Zeros(t.Shape, DType.Float64)).ToArray();
        chain.MultiplyByDampedPower(v, result, 1);
        var got = ToVec(tags, result);
        var v1 = ToVec(tags, v)[1];
        var up = MatVec(Kron(chain.InputCrossFactor(0).ToArray<double>(), tags[0].InputDim, tags[1].InputDim,
            chain.OutputCrossFactor(0).ToArray<double>(), tags[0].OutFeatures, tags[1].OutFeatures), v1);
        Assert.That(RelativeError(got[0], up), Is.LessThan(1e-9), "block (0, 1)");
        var crossDown = Kron(chain.InputCrossFactor(1).ToArray<double>(), tags[1].InputDim, tags[2].InputDim,
            chain.OutputCrossFactor(1).ToArray<double>(), tags[1].OutFeatures, tags[2].OutFeatures);
        var down = MatVec(Transpose(crossDown, tags[1].OutFeatures * tags[1].InputDim, tags[2].OutFeatures * tags[2].InputDim), v1);
        Assert.That(RelativeError(got[2], down), Is.LessThan(1e-9), "block (2, 1)");
    }

    [Test]
    public void TridiagonalIsCloserToTheExactFisherInverseThanBlockDiagonal()
    {
        var net = Network([4, 6, 5, 3], Activation.Tanh, seed: 91);
        var x = Inputs(200, 4, seed: 92);
        var q = CurvatureDiagnostics.Compare(net.Forward, net.Parameters(), new SoftmaxCrossEntropy(), x, gamma: 0.05);
        TestContext.Out.WriteLine(q);
        Assert.That(q.BlockTridiagonalInverseError, Is.LessThan(q.BlockDiagonalInverseError));
        Assert.That(q.BlockTridiagonalError, Is.LessThan(q.BlockDiagonalError));
    }

    private static double Trace(double[] a, int n) => Enumerable.Range(0, n).Sum(i => a[i * n + i]);

    /// <summary>Dense A (x) B for A (ra x ca), B (rb x cb): the matrix acting on column-stacked vec.</summary>
    private static double[] Kron(double[] a, int ra, int ca, double[] b, int rb, int cb)
    {
        int rows = ra * rb, cols = ca * cb;
        var k = new double[rows * cols];
        for (int i = 0; i < ra; i++)
            for (int j = 0; j < ca; j++)
                for (int p = 0; p < rb; p++)
                    for (int q = 0; q < cb; q++)
                        k[(i * rb + p) * cols + j * cb + q] = a[i * ca + j] * b[p * cb + q];
        return k;
    }

    private static double[][] ToVec(DenseTag[] tags, IReadOnlyList<Tensor> v)
    {
        var result = new double[tags.Length][];
        int index = 0;
        for (int i = 0; i < tags.Length; i++)
        {
            var flat = new List<double>();
            for (int j = 0; j < tags[i].Parameters.Count; j++) flat.AddRange(v[index++].ToArray<double>());
            var map = VecToFlat(tags[i]);
            result[i] = map.Select(f => flat[f]).ToArray();
        }
        return result;
    }

    private static double[] Mul(double[] a, double[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        Kfac.Cpu.Gemm.Dgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
        return c;
    }

    private static double[] Transpose(double[] a, int rows, int cols)
    {
        var t = new double[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    private static void Subtract(double[] a, double[] b)
    {
        for (int i = 0; i < a.Length; i++) a[i] -= b[i];
    }

    private static void Symmetrise(double[] a, int n)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) a[i * n + j] = a[j * n + i] = 0.5 * (a[i * n + j] + a[j * n + i]);
    }
}

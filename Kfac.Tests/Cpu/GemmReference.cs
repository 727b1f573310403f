using System.Numerics.Tensors;
using Kfac.Cpu.Blas;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>
/// Naive double-precision GEMM oracle and the error bound the SIMD kernels are held to:
/// |C - C_ref|_ij &lt;= 4 sqrt(k + 1) eps (|alpha| sum_p |op(A)_ip op(B)_pj| + |beta C0_ij|) + tiny,
/// eps the unit roundoff of the tested type. A rounding-error bound of order sqrt(k) eps in the scale of the
/// absolute products is generous for correct code (random-sign sums round far better) yet any indexing, packing
/// or edge bug produces O(1) relative errors and fails it.
/// </summary>
/// <summary>Kernel family a test asks for (public mirror of the internal GemmIsa for FsCheck-generated cases).</summary>
public enum TestIsa { Vector512, Vector256, Scalar }

internal static class GemmReference
{
    public static (double[] Value, double[] Scale) Gemm(bool ta, bool tb, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, ReadOnlySpan<double> c0, int ldc)
    {
        // Gather op(A) (m x k) and op(B)^T (n x k) densely so the O(mnk) loop is a plain dot product.
        var opA = new double[m * k];
        var opBt = new double[n * k];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) opA[i * k + p] = ta ? a[p * lda + i] : a[i * lda + p];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) opBt[j * k + p] = tb ? b[j * ldb + p] : b[p * ldb + j];
        var value = new double[m * n];
        var scale = new double[m * n];
        var products = new double[k];
        for (int i = 0; i < m; i++)
        {
            var x = opA.AsSpan(i * k, k);
            for (int j = 0; j < n; j++)
            {
                // TensorPrimitives (an optimised library, independent of the code under test) keeps the O(mnk)
                // oracle fast in Debug test runs.
                TensorPrimitives.Multiply(x, opBt.AsSpan(j * k, k), products);
                double s = TensorPrimitives.Sum<double>(products), abs = TensorPrimitives.SumOfMagnitudes<double>(products);
                double old = beta == 0 ? 0 : c0[i * ldc + j];
                value[i * n + j] = alpha * s + beta * old;
                scale[i * n + j] = Math.Abs(alpha) * abs + Math.Abs(beta * old);
            }
        }
        return (value, scale);
    }

    /// <summary>Checks the m x n result (row stride ldc) against the oracle; returns a description of the first failure or null.</summary>
    public static string? Compare(ReadOnlySpan<double> got, int ldc, int m, int n, int k, (double[] Value, double[] Scale) want, double eps)
    {
        double factor = 4 * Math.Sqrt(k + 1) * eps;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double g = got[i * ldc + j], w = want.Value[i * n + j];
                double tol = factor * want.Scale[i * n + j] + 1e-30;
                if (!(Math.Abs(g - w) <= tol))
                    return $"C[{i},{j}] = {g:R}, expected {w:R} (|diff| {Math.Abs(g - w):E3} > tol {tol:E3}; m={m} n={n} k={k})";
            }
        return null;
    }

    public static double[] Random(Random rng, int count)
    {
        var x = new double[count];
        for (int i = 0; i < count; i++) x[i] = rng.NextDouble() * 2 - 1;
        return x;
    }

    public static float[] ToFloat(double[] x) => Array.ConvertAll(x, v => (float)v);

    public static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);

    /// <summary>The kernel family to force for a test ISA; Auto where the machine lacks it (so the suite still runs there).</summary>
    public static GemmIsa Kernel(TestIsa isa) => isa switch
    {
        TestIsa.Vector512 => MicroKernel512<float>.IsSupported ? GemmIsa.Vector512 : GemmIsa.Auto,
        TestIsa.Vector256 => GemmKernels.Vector256Supported ? GemmIsa.Vector256 : GemmIsa.Auto,
        _ => GemmIsa.Scalar,
    };

    /// <summary>Runs <paramref name="body"/> with the kernel family forced on this thread, restoring Auto afterwards.</summary>
    public static T WithIsa<T>(GemmIsa isa, Func<T> body)
    {
        GemmKernels.Forced = isa;
        try { return body(); }
        finally { GemmKernels.Forced = GemmIsa.Auto; }
    }

    public static void AssertNull(string? failure) => Assert.That(failure, Is.Null, failure);
}

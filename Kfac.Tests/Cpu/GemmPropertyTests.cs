using FsCheck;
using FsCheck.Fluent;
using Kfac.Cpu.Blas;

namespace Kfac.Tests.Cpu;

/// <summary>FsCheck properties: Sgemm and Dgemm equal the double oracle (within the bound stated in
/// <see cref="GemmReference"/>) over random shapes biased to 1, primes and block edges, all transposes, alpha/beta
/// variants (beta = 0 with a NaN-filled C), padded strides, both SIMD kernel families and 1 or 2 threads.</summary>
public class GemmPropertyTests
{
    private static readonly int[] Special = [1, 2, 3, 5, 7, 11, 12, 13, 16, 17, 23, 31, 32, 33, 47, 48, 64, 97];

    private static Gen<int> Dim(int max) =>
        Gen.OneOf(Gen.Elements(Special), Gen.Choose(1, max));

    public static Arbitrary<GemmCase> Cases() =>
        (from m in Dim(120)
         from n in Dim(120)
         from k in Gen.OneOf(Dim(120), Gen.Choose(250, 600)) // k > kc: several k blocks
         from ta in ArbMap.Default.GeneratorFor<bool>()
         from tb in ArbMap.Default.GeneratorFor<bool>()
         from alpha in Gen.Elements(1.0, -1.0, 0.5, 3.0)
         from beta in Gen.Elements(0.0, 1.0, -0.5)
         from pad in Gen.Elements(0, 0, 1, 7)
         from threads in Gen.Elements(1, 2)
         from isa in Gen.Elements(TestIsa.Vector512, TestIsa.Vector256)
         from seed in Gen.Choose(0, int.MaxValue - 1)
         select new GemmCase(ta, tb, m, n, k, alpha, beta, pad, threads, isa, seed)).ToArbitrary();

    [FsCheck.NUnit.Property(Arbitrary = [typeof(GemmPropertyTests)], MaxTest = 120, QuietOnSuccess = true)]
    public Property Sgemm_MatchesReference(GemmCase c) => Check(c, single: true);

    [FsCheck.NUnit.Property(Arbitrary = [typeof(GemmPropertyTests)], MaxTest = 80, QuietOnSuccess = true)]
    public Property Dgemm_MatchesReference(GemmCase c) => Check(c, single: false);

    private static Property Check(GemmCase c, bool single)
    {
        string? failure = c.Check(single);
        return (failure is null).Label(failure ?? "ok");
    }
}

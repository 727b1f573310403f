using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NUnit.Framework;

namespace Kfac.Tests;

/// <summary>
/// The kernels float arithmetic runs through on this machine: the GEMM micro-kernels and System.Numerics.Tensors'
/// reductions and transcendental approximations take 512-bit paths where Vector512 is accelerated (Zen 4/5, recent
/// Intel) and 256-bit paths on AVX2-only machines (Zen 2/3, most laptops; or any machine with DOTNET_EnableAVX512=0),
/// and the two round differently. Bit-exact golden values are therefore recorded per path: "avx512", recorded on Zen 5;
/// "avx2", recorded on Zen 5 with DOTNET_EnableAVX512=0 (the same instructions an AVX2-only CPU runs: IEEE results do
/// not depend on the CPU, only on the code path).
/// </summary>
internal static class NumericPath
{
    /// <summary>"avx512", "avx2" or "other".</summary>
    public static string Name =>
        Vector512.IsHardwareAccelerated ? "avx512"
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? "avx2"
        : "other";

    /// <summary>The golden value of this machine's path; inconclusive (not failed) on a path none was recorded for.</summary>
    public static T Golden<T>(IReadOnlyDictionary<string, T> perPath, string what)
    {
        if (!perPath.TryGetValue(Name, out var value))
            Assert.Inconclusive($"{what}: no golden value recorded for the '{Name}' arithmetic path (recorded: {string.Join(", ", perPath.Keys)})");
        return value!;
    }
}

using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kfac.Cpu.Blas;

/// <summary>Which micro-kernel family a GEMM/SYRK call uses.</summary>
internal enum GemmIsa
{
    /// <summary>Vector512 when accelerated, else Vector256 (with FMA), else scalar.</summary>
    Auto,
    Vector512,
    Vector256,
    Scalar,
}

/// <summary>Kernel selection, with a per-thread override so tests can force the Vector256 and scalar paths on an
/// AVX-512 machine (the choice is made on the calling thread and carried to the workers by generic instantiation).</summary>
internal static class GemmKernels
{
    [ThreadStatic] private static GemmIsa t_forced;

    /// <summary>Forces the kernel family for calls made from the current thread (Auto restores the default).</summary>
    public static GemmIsa Forced
    {
        get => t_forced;
        set => t_forced = value;
    }

    public static bool Vector256Supported => Vector256.IsHardwareAccelerated && Avx.IsSupported && Fma.IsSupported;

    public static GemmIsa Select<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var forced = t_forced;
        if (forced == GemmIsa.Vector512 && !MicroKernel512<T>.IsSupported)
            throw new PlatformNotSupportedException("Vector512 is not hardware accelerated on this machine");
        if (forced == GemmIsa.Vector256 && !MicroKernel256<T>.IsSupported)
            throw new PlatformNotSupportedException("Vector256 with FMA is not hardware accelerated on this machine");
        if (forced != GemmIsa.Auto) return forced;
        if (MicroKernel512<T>.IsSupported) return GemmIsa.Vector512;
        if (MicroKernel256<T>.IsSupported) return GemmIsa.Vector256;
        return GemmIsa.Scalar;
    }
}

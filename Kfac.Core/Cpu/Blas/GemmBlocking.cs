namespace Kfac.Cpu.Blas;

/// <summary>
/// Cache blocking parameters of the Goto/BLIS loop nest (see <see cref="GemmDriver{T, TK}"/>), Measured on AMD Zen 5 (48 KiB L1d, 1 MiB L2 per core, shared L3); the
/// bench (`gemm --kc/--mc`) can override them to re-tune on another machine. Internal and mutable only for that.
/// </summary>
internal static class GemmBlocking
{
    /// <summary>Depth kc of a packed block. The kc x NR B micro-panel (reused by every A micro-panel of the block)
    /// should stay in L1: 256 x 128 B = 32 KiB (NR x sizeof(T) = 128 B for both float and double on AVX-512).</summary>
    public static int Kc = 256;

    /// <summary>Rows mc of a packed A block (kc x mc x sizeof(T) bytes, streamed from L2 by the micro-kernel).</summary>
    public static int McRows = 192;

    /// <summary>Upper bound of the packed B buffer (k x nc); larger B is processed in column chunks.</summary>
    public static long BPanelBytes = 16L << 20;

    /// <summary>Minimum floating-point work (2mnk) per thread before a GEMM uses another thread.</summary>
    public static long MinFlopsPerThread = 4_000_000;
}

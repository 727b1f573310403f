namespace Kfac.Cpu.Blas;

/// <summary>
/// Cache blocking parameters of the Goto/BLIS loop nest (see <see cref="GemmDriver{T, TK}"/>). Chosen on AMD EPYC
/// Zen 5 (48 KiB L1d and 1 MiB L2 per core): kc from 128 to 384 and mc from 96 to 192 measured within noise of each
/// other (mc = 384 or kc = 512 were clearly slower), and kc = 256, mc = 192 sit in the middle of that plateau. The
/// bench overrides them (`gemm --kc K --mc M --inplace 0|1 --thin T`) to re-tune on another machine; they are
/// internal and mutable only for that.
/// </summary>
internal static class GemmBlocking
{
    /// <summary>Depth kc of a packed block. The kc x NR B micro-panel (reused by every A micro-panel of the block)
    /// should stay in L1: 256 x 128 B = 32 KiB (NR x sizeof(T) = 128 B for both float and double on AVX-512).</summary>
    public static int Kc = 256;

    /// <summary>Rows mc of a packed A block (kc x mc x sizeof(T) bytes, streamed from L2 by the micro-kernel).</summary>
    public static int McRows = 192;

    /// <summary>Read a thin operand in place instead of packing it (see <see cref="KernelOperands{T}"/>).</summary>
    public static bool InPlaceThin = true;

    /// <summary>"Thin": the operand would be reused by at most this many micro-tiles (A: column panels of a task;
    /// B: row panels of the whole product), too few to amortise its packing.</summary>
    public static int ThinTiles = 3;

    /// <summary>Upper bound of the packed B buffer (k x nc); larger B is processed in column chunks.</summary>
    public static long BPanelBytes = 16L << 20;

    /// <summary>Minimum floating-point work (2mnk) per thread before a GEMM uses another thread.</summary>
    public static long MinFlopsPerThread = 4_000_000;
}

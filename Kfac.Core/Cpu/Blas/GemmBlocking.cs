namespace Kfac.Cpu.Blas;

/// <summary>
/// Cache blocking parameters of the Goto/BLIS loop nest (see <see cref="GemmDriver{T, TK}"/>), per micro-kernel:
/// <list type="bullet">
/// <item>AVX-512 (an NR row of 128 B): kc = 256, mc = 192, chosen on AMD EPYC Zen 5 (48 KiB L1d and 1 MiB L2 per core):
/// kc from 128 to 384 and mc from 96 to 192 measured within noise of each other (mc = 384 or kc = 512 were clearly
/// slower), and 256 / 192 sit in the middle of that plateau. The kc x NR B micro-panel is 32 KiB, two thirds of L1.</item>
/// <item>AVX2 (an NR row of 64 B): from the caches (<see cref="CacheSizes"/>), since the machines it runs on differ
/// most (Zen 3: 32 KiB / 512 KiB; Zen 5 with AVX-512 off: 48 KiB / 1 MiB): the B micro-panel at two thirds of L1
/// (kc = 512 on Zen 5, 336 on Zen 3) and the packed A block at 0.6 of L2 (mc = 306 for float on Zen 5, 234 on Zen 3).
/// On Zen 5 the AVX-512 values made the AVX2 path 0.93-0.99x OpenBLAS's Haswell kernels (n = 512-2048); these give
/// 0.98-1.02x (docs/BENCHMARKS.md, stop 32), with kc 384-640 and mc 288-480 all within noise of them.</item>
/// </list>
/// The bench overrides them for every kernel (`gemm --kc K --mc M --inplace 0|1 --thin T --fuse-b 0|1`) to re-tune on another
/// machine; <see cref="Kc"/> and <see cref="McRows"/> are internal and mutable only for that (0 = the per-kernel values).
/// </summary>
internal static class GemmBlocking
{
    /// <summary>Override of the depth kc of a packed block for every kernel (0: <see cref="KcFor"/>).</summary>
    public static int Kc;

    /// <summary>Override of the rows mc of a packed A block for every kernel (0: <see cref="McRowsFor"/>).</summary>
    public static int McRows;

    /// <summary>kc for a kernel whose B micro-panel row is <paramref name="nrBytes"/> bytes: for AVX2's 64 B the depth
    /// that fills two thirds of L1d (128 to 512, a multiple of 8); 256 otherwise (AVX-512's 128 B, the scalar kernel).</summary>
    public static int KcFor(int nrBytes)
    {
        if (Kc > 0) return Kc;
        if (nrBytes != Avx2RowBytes) return 256;
        return Math.Clamp(CacheSizes.L1Data * 2 / 3 / nrBytes / 8 * 8, 128, 512);
    }

    /// <summary>The AVX2 kernel's B row: 2 x 256 bits (16 floats or 8 doubles).</summary>
    private const int Avx2RowBytes = 64;

    /// <summary>mc for a kernel of <paramref name="mr"/> rows: for AVX2 (a B row of 64 B) the rows whose kc x mc A block
    /// fills 0.6 of L2, a multiple of MR, 8 MR to 480; 192 otherwise.</summary>
    public static int McRowsFor(int nrBytes, int mr, int elementBytes)
    {
        if (McRows > 0) return McRows;
        if (nrBytes != Avx2RowBytes) return 192;
        int rows = (int)(0.6 * CacheSizes.L2 / (KcFor(nrBytes) * (double)elementBytes));
        return Math.Clamp(rows / mr * mr, 8 * mr, 480 / mr * mr);
    }

    /// <summary>With one row block (m &lt;= mc), pack each B micro-panel inside its task just before use instead of all of
    /// B up front (<see cref="GemmDriver{T, TK}"/>).</summary>
    public static bool FuseBPacking = true;

    /// <summary>Pack a B that is not transposed row by row (sequential reads) rather than panel by panel.</summary>
    public static bool PackBByRows = true;

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

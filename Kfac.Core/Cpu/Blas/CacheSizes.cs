using System.Runtime.Intrinsics.X86;

namespace Kfac.Cpu.Blas;

/// <summary>
/// The per-core L1 data and L2 cache sizes the GEMM blocking is derived from (<see cref="GemmBlocking"/>): from Linux's
/// sysfs (cpu0's cache indices), else CPUID (AMD and Intel both answer leaf 0x80000006 for L2; leaf 0x80000005 gives
/// AMD's L1d), else 32 KiB and 512 KiB (Zen 2/3, most Intel cores: the smaller caches, so the blocks are never too big).
/// </summary>
internal static class CacheSizes
{
    /// <summary>Fallback L1d: 32 KiB.</summary>
    public const int DefaultL1Data = 32 << 10;

    /// <summary>Fallback L2: 512 KiB.</summary>
    public const int DefaultL2 = 512 << 10;

    private static readonly Lazy<(int L1Data, int L2)> s_sizes = new(Detect);

    /// <summary>Bytes of L1 data cache per core.</summary>
    public static int L1Data => s_sizes.Value.L1Data;

    /// <summary>Bytes of L2 cache per core.</summary>
    public static int L2 => s_sizes.Value.L2;

    private static (int, int) Detect()
    {
        int l1 = 0, l2 = 0;
        try
        {
            for (int i = 0; i < 8; i++)
            {
                string dir = $"/sys/devices/system/cpu/cpu0/cache/index{i}";
                if (!Directory.Exists(dir)) break;
                string level = File.ReadAllText(Path.Combine(dir, "level")).Trim(), type = File.ReadAllText(Path.Combine(dir, "type")).Trim();
                int bytes = ParseSize(File.ReadAllText(Path.Combine(dir, "size")).Trim());
                if (level == "1" && type == "Data") l1 = bytes;
                else if (level == "2" && type is "Unified" or "Data") l2 = bytes;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // not Linux, or a container without sysfs: CPUID below
        }
        if ((l1 == 0 || l2 == 0) && X86Base.IsSupported)
        {
            var (maxExtended, _, _, _) = X86Base.CpuId(unchecked((int)0x80000000), 0);
            if ((uint)maxExtended >= 0x80000006u)
            {
                if (l2 == 0) l2 = (int)(((uint)X86Base.CpuId(unchecked((int)0x80000006), 0).Ecx >> 16) << 10);
                if (l1 == 0) l1 = (int)(((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) << 10);
            }
        }
        return (Plausible(l1, 8 << 10, 256 << 10, DefaultL1Data), Plausible(l2, 128 << 10, 16 << 20, DefaultL2));
    }

    /// <summary>"48K", "1024K", "2M" (sysfs) to bytes.</summary>
    internal static int ParseSize(string s)
    {
        int scale = 1;
        if (s.EndsWith('K')) scale = 1 << 10;
        else if (s.EndsWith('M')) scale = 1 << 20;
        return int.Parse(scale == 1 ? s : s[..^1], System.Globalization.CultureInfo.InvariantCulture) * scale;
    }

    private static int Plausible(int bytes, int min, int max, int fallback) => bytes >= min && bytes <= max ? bytes : fallback;
}

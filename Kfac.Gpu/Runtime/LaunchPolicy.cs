using ILGPU;
using ILGPU.Runtime;
using Kfac.Gpu.Kernels;

namespace Kfac.Gpu.Runtime;

/// <summary>
/// How kernels are launched on one accelerator. Grid-stride kernels get one-dimensional groups of
/// <see cref="GroupSize"/> threads and at most <see cref="MaxGroups"/> groups (enough to fill every multiprocessor;
/// the loops inside cover the rest). GEMM/SYRK tiles use square groups of <see cref="TileThreads"/>^2 threads.
/// <para>CUDA: 256-thread groups, 16 x 16 GEMM groups (64 x 64 tiles), groups = multiprocessors x resident groups.
/// ILGPU's CPU accelerator runs every thread of a group as an OS thread and a barrier wakes them all, so a
/// 256-thread group costs ~17x a 64-thread one per barrier on a loaded two-core machine (measured): tests use
/// 64-thread groups (8 x 8 GEMM groups, 32 x 32 tiles) and one group per launch. The kernels read the group shape
/// at run time, so the same code runs in both configurations.</para>
/// </summary>
public sealed record LaunchPolicy(int GroupSize, int TileThreads, int MaxGroups)
{
    /// <summary>Output tile side of GEMM/SYRK: 4 outputs per thread along each axis.</summary>
    public int Tile => KernelLimits.Reg * TileThreads;

    internal static LaunchPolicy For(Accelerator accelerator, int? groupSize = null)
    {
        int g = groupSize ?? (accelerator.AcceleratorType == AcceleratorType.CPU ? 64 : KernelLimits.MaxGroupSize);
        g = System.Math.Min(g, System.Math.Min(accelerator.MaxNumThreadsPerGroup, KernelLimits.MaxGroupSize));
        if (g < 32 || (g & (g - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(groupSize), g, "the group size must be a power of two between 32 and 256");
        int tileThreads = g >= 256 ? 16 : 8;
        int resident = System.Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / g);
        int maxGroups = accelerator.AcceleratorType == AcceleratorType.CPU ? accelerator.NumMultiprocessors : accelerator.NumMultiprocessors * resident;
        return new LaunchPolicy(g, tileThreads, System.Math.Max(1, maxGroups));
    }

    internal KernelConfig Linear(long work) =>
        new(new Index1D((int)System.Math.Clamp((work + GroupSize - 1) / GroupSize, 1, MaxGroups)), new Index1D(GroupSize));

    /// <summary>One group per row (grid-stride over rows).</summary>
    internal KernelConfig Rows(int rows) => new(new Index1D(System.Math.Clamp(rows, 1, MaxGroups)), new Index1D(GroupSize));

    /// <summary>A 2-D grid of output tiles for an m x n GEMM/SYRK result.</summary>
    internal KernelConfig Tiles(int m, int n) =>
        new(new Index2D((n + Tile - 1) / Tile, (m + Tile - 1) / Tile), new Index2D(TileThreads, TileThreads));

    internal KernelConfig TransposeTiles(int rows, int cols)
    {
        const int t = KernelLimits.TransposeTile;
        return new(new Index2D((cols + t - 1) / t, (rows + t - 1) / t), new Index2D(t, GroupSize / t));
    }

    /// <summary>Batched transposes: groups of 32 x (GroupSize / 32) threads striding over <paramref name="tiles"/> 32 x 32 tiles.</summary>
    internal KernelConfig TransposeBatches(long tiles)
    {
        const int t = KernelLimits.TransposeTile;
        return new(new Index2D((int)System.Math.Clamp(tiles, 1, MaxGroups), 1), new Index2D(t, GroupSize / t));
    }

    /// <summary>Column sums: groups of 32 x (GroupSize / 32) threads, one per 32 outputs (grid-stride).</summary>
    internal KernelConfig Columns(long outputs) =>
        new(new Index2D((int)System.Math.Clamp((outputs + 31) / 32, 1, MaxGroups), 1), new Index2D(32, GroupSize / 32));

    /// <summary>A single group (the Cholesky diagonal block).</summary>
    internal KernelConfig Single => new(new Index1D(1), new Index1D(GroupSize));

    /// <summary>Exactly <paramref name="groups"/> groups (one per diagonal block).</summary>
    internal KernelConfig Groups(int groups) => new(new Index1D(groups), new Index1D(GroupSize));
}

using Kfac.Cpu;
using Kfac.Linalg;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// Refreshes the inverses of many curvature blocks (every T3 steps, and three times per gamma trial of Martens &amp;
/// Grosse 2015 section 6.6). The factor inverses are independent, and on the CPU most of them are too small for the
/// kernels to use two cores well (a 250 x 250 or 500 x 500 Cholesky is dominated by its narrow panels, and at
/// n = 1000 one thread is as fast as two on this machine), so CPU blocks are refreshed concurrently, one block per
/// thread with single-threaded kernels, largest first (greedy longest-processing-time scheduling: each thread
/// claims the next block when it finishes). A block whose cost is at least a thread's fair share (total / threads),
/// like the ConvNet's 3137 x 3137 input factor, would make the others wait for it, so it runs first on its own with
/// the kernels' full parallelism. Blocks that are not <see cref="CurvatureBlock.RefreshIsThreadSafe"/>, and blocks
/// on other devices (a GPU stream is not shared between threads), refresh one after another on the caller.
/// </summary>
public static class ConcurrentInverseRefresh
{
    /// <summary>
    /// Calls <see cref="CurvatureBlock.RefreshInverse"/>(gamma) on every block. Every block is attempted even when
    /// some fail; the failures are returned in block order (null when all succeeded), each with the block it
    /// belongs to. Only <see cref="LinalgException"/>s are collected; anything else propagates.
    /// </summary>
    public static List<(CurvatureBlock Block, LinalgException Error)>? RefreshAll(IReadOnlyList<CurvatureBlock> blocks, double gamma)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var failures = new LinalgException?[blocks.Count];
        int threads = CpuParallel.ResolveThreads(0);
        var shareable = blocks.Select(RunsConcurrently).ToArray();
        double total = blocks.Where((_, i) => shareable[i]).Sum(b => b.InverseCost);
        var concurrent = new List<int>();
        for (int i = 0; i < blocks.Count; i++)
        {
            // Alone with every thread: blocks that cannot share, and blocks worth at least one thread's share.
            if (threads > 1 && shareable[i] && blocks[i].InverseCost < total / threads) concurrent.Add(i);
            else failures[i] = TryRefresh(blocks[i], gamma);
        }
        if (concurrent.Count > 0)
        {
            // Largest first, so the greedy claiming balances the threads.
            var order = concurrent.OrderByDescending(i => blocks[i].InverseCost).ToArray();
            CpuParallel.For(0, order.Length, new RefreshBody(blocks, order, gamma, failures), grain: 1, maxThreads: threads);
        }
        List<(CurvatureBlock, LinalgException)>? result = null;
        for (int i = 0; i < blocks.Count; i++)
            if (failures[i] is { } e) (result ??= []).Add((blocks[i], e));
        return result;
    }

    private static bool RunsConcurrently(CurvatureBlock block) =>
        block.RefreshIsThreadSafe && block.Parameters.All(p => p.Device.Kind == DeviceKind.Cpu);

    /// <summary>Refreshes <paramref name="block"/>'s inverse at damping <paramref name="gamma"/>; returns the linear-algebra
    /// failure instead of throwing it (the caller decides: retry with more damping, keep the old inverse).</summary>
    internal static LinalgException? TryRefresh(CurvatureBlock block, double gamma)
    {
        try
        {
            block.RefreshInverse(gamma);
            return null;
        }
        catch (LinalgException e)
        {
            return e;
        }
    }

    /// <summary>Refreshes blocks order[start..end) (a range of one block at grain 1); kernels called from inside a
    /// <see cref="CpuParallel"/> body run on the calling thread only.</summary>
    private readonly struct RefreshBody(IReadOnlyList<CurvatureBlock> blocks, int[] order, double gamma, LinalgException?[] failures)
        : IRangeBody
    {
        public void Invoke(int start, int end)
        {
            for (int j = start; j < end; j++) failures[order[j]] = TryRefresh(blocks[order[j]], gamma);
        }
    }
}

namespace Kfac.Linalg;

/// <summary>
/// Splits [0, count) into contiguous chunks run on up to <c>threads</c> workers. The Linalg kernels work on
/// spans, which lambdas cannot capture, so callers pin and pass addresses; this helper only schedules.
/// Runs inline when one thread is asked for or the range is tiny, so small problems pay no overhead.
/// </summary>
internal static class ParallelChunks
{
    public static void For(int count, int threads, Action<int, int> body)
    {
        if (count <= 0) return;
        threads = Math.Clamp(threads, 1, count);
        if (threads == 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int start = (int)((long)count * t / threads), end = (int)((long)count * (t + 1) / threads);
            if (end > start) body(start, end);
        });
    }

    /// <summary>Threads worth using for <paramref name="flops"/> of work: ~1 MFLOP per extra thread.</summary>
    public static int ThreadsFor(double flops, int maxThreads) =>
        (int)Math.Clamp(flops / 1e6, 1, Blas.Threads(maxThreads));
}

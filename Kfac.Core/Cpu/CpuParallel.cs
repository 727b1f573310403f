using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Kfac.Cpu;

/// <summary>
/// A loop body for <see cref="CpuParallel.For{TBody}(int, int, in TBody, int, int)"/>: called with disjoint
/// sub-ranges [<c>start</c>, <c>end</c>) that together cover the requested range, concurrently from several
/// threads and on ONE shared copy of the body, so the body must not mutate its own fields (write through
/// pointers or arrays it holds instead). A sub-range can have any size from 1 to the whole range.
/// </summary>
public interface IRangeBody
{
    /// <summary>Processes indices [<paramref name="start"/>, <paramref name="end"/>) of the loop; may run concurrently with other sub-ranges.</summary>
    void Invoke(int start, int end);
}

/// <summary>
/// Persistent CPU worker pool for the kernels (GEMM, SYRK, elementwise, im2col): runs a range-partitioned
/// body on up to <see cref="MaxThreads"/> threads (the calling thread is one of them) without allocating per
/// call. Chunks of <c>grain</c> indices are claimed dynamically with an atomic counter, so a thread slowed by
/// other processes on a shared machine simply claims fewer chunks.
/// <para>
/// Usage (a struct body holding pointers or arrays; no closure, no allocation):
/// <code>
/// struct Scale : IRangeBody
/// {
///     public float[] Data; public float Factor;
///     public void Invoke(int start, int end) { for (int i = start; i &lt; end; i++) Data[i] *= Factor; }
/// }
/// CpuParallel.For(0, data.Length, new Scale { Data = data, Factor = 2f }, grain: 4096);
/// </code>
/// </para>
/// Semantics: calls made from inside a body (nested calls), calls while another thread's job holds the pool,
/// and calls that resolve to one thread run inline on the caller. An exception thrown by the body on any
/// thread stops the remaining chunks from being claimed and the first one is rethrown on the caller (with its
/// original stack trace) after every participating thread has left the body. Workers are background threads
/// that spin for about <see cref="SpinMicroseconds"/> after a job (so back-to-back calls do not pay a kernel
/// wake-up), then park on an event.
/// </summary>
public static class CpuParallel
{
    /// <summary>How long an idle worker keeps polling for the next job before parking.</summary>
    public const int SpinMicroseconds = 100;

    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>Thread count used when a call passes maxThreads = 0 (default <see cref="Environment.ProcessorCount"/>).</summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_maxThreads, value);
        }
    }

    /// <summary>The thread count a call with <paramref name="maxThreads"/> (0 = <see cref="MaxThreads"/>) resolves to,
    /// before it is capped by the number of chunks; 1 when called from inside a parallel body.</summary>
    public static int ResolveThreads(int maxThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxThreads);
        if (t_inBody) return 1;
        return maxThreads > 0 ? maxThreads : MaxThreads;
    }

    /// <summary>True on a thread that is currently executing a body (nested calls there run inline).</summary>
    public static bool IsInsideBody => t_inBody;

    [ThreadStatic] private static bool t_inBody;

    // One job at a time owns the workers; s_busy is the ownership flag (callers that lose the race run inline).
    private static int s_busy;
    private static readonly object s_growLock = new();
    private static Worker[] s_workers = [];

    // Published job: s_state = (sequence << 16) | participants, written last (Interlocked) so a worker that reads
    // a new sequence also reads the matching participant count, s_job and the job's fields.
    private static long s_state;
    private static Job? s_job;
    private static readonly ManualResetEventSlim s_done = CreateDoneEvent();
    private static Exception? s_error;

    // Join protocol: s_join = (sequence << 32) | closed bit | active workers. A worker joins the job it was woken for
    // only while that job is open; the caller closes it once no chunk is left to claim and then waits only for the
    // workers that joined. A worker that wakes late (descheduled on a busy machine) finds the job closed and skips
    // it, so the caller never waits for a thread that has not started.
    private const long Closed = 1L << 31; // bit 31; bits 32..63 hold the low 32 bits of the sequence
    private const long ActiveMask = Closed - 1;
    private static long s_join;

    /// <summary>
    /// Runs <paramref name="body"/> over [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>) in chunks of
    /// <paramref name="grain"/> indices (0 = about four chunks per thread) on up to <paramref name="maxThreads"/> threads
    /// (0 = <see cref="MaxThreads"/>). Returns when every chunk has run.
    /// </summary>
    public static void For<TBody>(int fromInclusive, int toExclusive, in TBody body, int grain = 0, int maxThreads = 0)
        where TBody : IRangeBody
    {
        if (toExclusive < fromInclusive)
            throw new ArgumentOutOfRangeException(nameof(toExclusive), toExclusive,
                $"toExclusive ({toExclusive}) must be >= fromInclusive ({fromInclusive})");
        ArgumentOutOfRangeException.ThrowIfNegative(grain);
        int threads = ResolveThreads(maxThreads);
        long count = (long)toExclusive - fromInclusive;
        if (count == 0) return;
        if (grain == 0) grain = (int)Math.Max(1, (count + 4L * threads - 1) / (4L * threads));
        long chunks = (count + grain - 1) / grain;
        if (chunks < threads) threads = (int)chunks;
        threads = Math.Min(threads, 0xFFFF);

        if (threads <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            RunInline(fromInclusive, toExclusive, in body);
            return;
        }
        try
        {
            threads = Math.Min(threads, 1 + EnsureWorkers(threads - 1));
            var job = Job<TBody>.Instance;
            job.Body = body;
            job.Init(fromInclusive, toExclusive, grain);
            s_error = null;
            s_done.Reset();
            s_job = job;
            long seq = (s_state >> 16) + 1;
            Volatile.Write(ref s_join, seq << 32);
            Interlocked.Exchange(ref s_state, (seq << 16) | (uint)threads);
            var workers = s_workers;
            for (int i = 0; i < threads - 1; i++) workers[i].Wake();

            t_inBody = true;
            try { job.Run(); }
            finally { t_inBody = false; }
            WaitForWorkers();

            job.Body = default!;
            s_job = null;
            var error = s_error;
            s_error = null;
            if (error is not null) ExceptionDispatchInfo.Throw(error);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static void RunInline<TBody>(int from, int to, in TBody body) where TBody : IRangeBody
    {
        bool outer = t_inBody;
        t_inBody = true;
        try { body.Invoke(from, to); }
        finally { t_inBody = outer; }
    }

    /// <summary>The caller's completion event, with its lazily created lock object forced now (a 1 ms timed wait) so the
    /// first call that has to block does not allocate.</summary>
    private static ManualResetEventSlim CreateDoneEvent()
    {
        var e = new ManualResetEventSlim(false, 0);
        e.Wait(1);
        return e;
    }

    /// <summary>Closes the job to late joiners, then waits for the workers that joined it to leave.</summary>
    /// <remarks>The active count in s_join is the only truth. The event is just a way to sleep: a worker sets it
    /// after its decrement, and that Set can land after the caller has already seen the count reach zero, returned,
    /// and reset the event for the NEXT job. Trusting the event would then let the next job's caller return while
    /// its workers still run (they would then claim chunks of a later job and corrupt the count: a hang). So the
    /// count is re-read after every wake-up, and waits are bounded so a lost Set costs at most a millisecond.</remarks>
    private static void WaitForWorkers()
    {
        if ((Interlocked.Or(ref s_join, Closed) & ActiveMask) == 0) return;
        long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 500; // 2 ms of polling, then block
        var spin = new SpinWait();
        while ((Volatile.Read(ref s_join) & ActiveMask) != 0)
        {
            if (Stopwatch.GetTimestamp() <= deadline)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }
            if (s_done.Wait(1)) s_done.Reset(); // woken (possibly by a stale Set): re-check the count
        }
    }

    /// <summary>Starts workers up to <paramref name="wanted"/>; returns how many exist (fewer only if thread creation failed).</summary>
    private static int EnsureWorkers(int wanted)
    {
        var workers = s_workers;
        if (workers.Length >= wanted) return workers.Length;
        lock (s_growLock)
        {
            workers = s_workers;
            if (workers.Length >= wanted) return workers.Length;
            var grown = new Worker[wanted];
            Array.Copy(workers, grown, workers.Length);
            for (int i = workers.Length; i < wanted; i++)
            {
                try { grown[i] = new Worker(i, Volatile.Read(ref s_state) >> 16); }
                catch (OutOfMemoryException) { Array.Resize(ref grown, i); break; }
            }
            Volatile.Write(ref s_workers, grown);
            return grown.Length;
        }
    }

    private static bool TryJoin(long seq)
    {
        while (true)
        {
            long j = Volatile.Read(ref s_join);
            // Low 32 bits of the sequence (it wraps after 2^32 jobs, which a long training run can reach).
            if ((uint)(j >>> 32) != (uint)seq || (j & Closed) != 0) return false;
            if (Interlocked.CompareExchange(ref s_join, j + 1, j) == j) return true;
        }
    }

    private static void RecordError(Exception e) => Interlocked.CompareExchange(ref s_error, e, null);

    private abstract class Job
    {
        private int _next;
        private int _end;
        private int _grain;

        public void Init(int from, int to, int grain)
        {
            _next = from;
            _end = to;
            _grain = grain;
        }

        /// <summary>Claims and runs chunks until none is left; exceptions are recorded and stop further claims.</summary>
        public void Run()
        {
            try
            {
                int end = _end, grain = _grain;
                while (true)
                {
                    int start = Interlocked.Add(ref _next, grain) - grain;
                    if (start >= end) return;
                    Invoke(start, (int)Math.Min((long)start + grain, end));
                }
            }
            catch (Exception e)
            {
                RecordError(e);
                Volatile.Write(ref _next, int.MaxValue / 2); // other threads stop claiming (no overflow when they add grain)
            }
        }

        protected abstract void Invoke(int start, int end);
    }

    private sealed class Job<TBody> : Job where TBody : IRangeBody
    {
        public static readonly Job<TBody> Instance = new();
        public TBody Body = default!;

        protected override void Invoke(int start, int end) => Body.Invoke(start, end);
    }

    private sealed class Worker
    {
        private readonly int _index;
        private readonly ManualResetEventSlim _wake = new(false, 0);

        private readonly long _initialSeen;

        // initialSeen: the sequence number current at creation (the caller creates workers before publishing
        // its job), so a thread that starts late still sees that job as new.
        public Worker(int index, long initialSeen)
        {
            _index = index;
            _initialSeen = initialSeen;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Kfac.CpuParallel #{index + 1}" };
            thread.Start();
        }

        public void Wake() => _wake.Set();

        private void Loop()
        {
            long seen = _initialSeen;
            long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
            while (true)
            {
                long state;
                long deadline = Stopwatch.GetTimestamp() + spinTicks;
                bool parked = false;
                while (((state = Volatile.Read(ref s_state)) >> 16) == seen)
                {
                    if (!parked && Stopwatch.GetTimestamp() < deadline)
                    {
                        Thread.SpinWait(8);
                        continue;
                    }
                    parked = true;
                    // A stale Set only costs one extra pass; the sequence is re-read after every Reset, so a
                    // Set that raced with the Reset is never lost.
                    _wake.Wait();
                    _wake.Reset();
                }
                seen = state >> 16;
                int participants = (int)(state & 0xFFFF);
                if (_index >= participants - 1 || !TryJoin(seen)) continue;

                t_inBody = true;
                try { s_job!.Run(); }
                catch (Exception e) { RecordError(e); }
                finally { t_inBody = false; }
                long after = Interlocked.Decrement(ref s_join);
                if ((after & ActiveMask) == 0 && (after & Closed) != 0) s_done.Set();
            }
        }
    }
}

using Kfac.Cpu;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

public class CpuParallelTests
{
    private sealed class Counter : IRangeBody
    {
        public int[] Hits = [];
        public int Calls;

        public void Invoke(int start, int end)
        {
            Interlocked.Increment(ref Calls);
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    [Test]
    public void EveryIndexRunsExactlyOnce([Values(0, 1, 3, 64)] int grain, [Values(1, 2, 3)] int threads)
    {
        var body = new Counter { Hits = new int[1000] };
        CpuParallel.For(17, 1000, body, grain, threads);
        Assert.That(body.Hits.Take(17), Is.All.EqualTo(0));
        Assert.That(body.Hits.Skip(17), Is.All.EqualTo(1));
    }

    [Test]
    public void ManyShortJobs_EachCoversItsRangeOnce()
    {
        // Back-to-back tiny jobs exercise the join/close handshake: a worker that wakes after the caller has finished
        // a job must skip it, never run a chunk of the next one twice or miss one.
        var body = new Counter { Hits = new int[64] };
        for (int r = 0; r < 5000; r++) CpuParallel.For(0, 64, body, 1, 3);
        Assert.That(body.Hits, Is.All.EqualTo(5000));
    }

    [Test]
    public void EmptyRange_DoesNotCallBody()
    {
        var body = new Counter { Hits = new int[1] };
        CpuParallel.For(5, 5, body);
        Assert.That(body.Calls, Is.Zero);
    }

    private struct Throwing : IRangeBody
    {
        public int ThrowAt;

        public readonly void Invoke(int start, int end)
        {
            for (int i = start; i < end; i++)
                if (i == ThrowAt) throw new InvalidOperationException($"boom at {i}");
            Thread.SpinWait(100);
        }
    }

    [Test]
    public void ExceptionInBody_PropagatesToCaller_AndPoolStillWorks([Values(0, 63)] int throwAt)
    {
        // grain 1 over 64 items on 2 threads: the failing item runs on either the caller or the worker.
        var e = Assert.Throws<InvalidOperationException>(() => CpuParallel.For(0, 64, new Throwing { ThrowAt = throwAt }, 1, 2));
        Assert.That(e!.Message, Is.EqualTo($"boom at {throwAt}"));
        var body = new Counter { Hits = new int[100] };
        CpuParallel.For(0, 100, body, 1, 2);
        Assert.That(body.Hits, Is.All.EqualTo(1));
    }

    private sealed class ThreadRecorder : IRangeBody
    {
        public int[] ThreadIds = [];

        public void Invoke(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                ThreadIds[i] = Environment.CurrentManagedThreadId;
                Thread.SpinWait(2000);
            }
        }
    }

    [Test]
    public void OneThread_RunsInlineOnCaller()
    {
        var body = new ThreadRecorder { ThreadIds = new int[50] };
        CpuParallel.For(0, 50, body, 1, maxThreads: 1);
        Assert.That(body.ThreadIds, Is.All.EqualTo(Environment.CurrentManagedThreadId));
        Assert.That(CpuParallel.ResolveThreads(1), Is.EqualTo(1));
    }

    [Test]
    public void MaxThreads_ConfiguresDefault_AndRejectsZero()
    {
        int saved = CpuParallel.MaxThreads;
        try
        {
            CpuParallel.MaxThreads = 1;
            var body = new ThreadRecorder { ThreadIds = new int[20] };
            CpuParallel.For(0, 20, body, 1);
            Assert.That(body.ThreadIds, Is.All.EqualTo(Environment.CurrentManagedThreadId));
            Assert.Throws<ArgumentOutOfRangeException>(() => CpuParallel.MaxThreads = 0);
        }
        finally { CpuParallel.MaxThreads = saved; }
    }

    private sealed class Nested : IRangeBody
    {
        public int[] OuterThread = [], InnerThread = [];
        public bool[] InsideFlag = [];

        public void Invoke(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                OuterThread[i] = Environment.CurrentManagedThreadId;
                InsideFlag[i] = CpuParallel.IsInsideBody;
                var inner = new ThreadRecorder { ThreadIds = new int[8] };
                CpuParallel.For(0, 8, inner, 1, 2);
                InnerThread[i] = inner.ThreadIds.Distinct().Single();
            }
        }
    }

    [Test]
    public void NestedCall_RunsInlineOnTheCallingThread()
    {
        var body = new Nested { OuterThread = new int[16], InnerThread = new int[16], InsideFlag = new bool[16] };
        CpuParallel.For(0, 16, body, 1, 2);
        Assert.That(body.InnerThread, Is.EqualTo(body.OuterThread));
        Assert.That(body.InsideFlag, Is.All.True);
        Assert.That(CpuParallel.IsInsideBody, Is.False);
    }

    [Test]
    public void ConcurrentCallers_AllComplete()
    {
        // Callers that find the pool busy run inline; every call must still cover its range exactly once.
        var bodies = Enumerable.Range(0, 4).Select(_ => new Counter { Hits = new int[5000] }).ToArray();
        var threads = bodies.Select(b => new Thread(() => { for (int r = 0; r < 20; r++) CpuParallel.For(0, 5000, b, 7, 2); })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        foreach (var b in bodies) Assert.That(b.Hits, Is.All.EqualTo(20));
    }

    private struct Sum : IRangeBody
    {
        public long[] Partial;

        public readonly void Invoke(int start, int end)
        {
            long s = 0;
            for (int i = start; i < end; i++) s += i;
            Interlocked.Add(ref Partial[0], s);
        }
    }

    [Test]
    public void StructBody_AllocatesNothingPerCall()
    {
        var body = new Sum { Partial = new long[1] };
        for (int i = 0; i < 10; i++) CpuParallel.For(0, 10_000, body, 100, 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) CpuParallel.For(0, 10_000, body, 100, 2);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(body.Partial[0], Is.EqualTo(1010L * (9999L * 10000 / 2)));
    }

    [Test]
    public void Validation()
    {
        var body = new Counter { Hits = new int[10] };
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => CpuParallel.For(5, 4, body))!.ParamName, Is.EqualTo("toExclusive"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => CpuParallel.For(0, 4, body, grain: -1))!.ParamName, Is.EqualTo("grain"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => CpuParallel.For(0, 4, body, maxThreads: -1))!.ParamName, Is.EqualTo("maxThreads"));
    }
}

public class CpuParallelStressTests
{
    private sealed class Counter : Kfac.Cpu.IRangeBody
    {
        public readonly long[] Hits = new long[64];

        public void Invoke(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    /// <summary>Many back-to-back small jobs: every index of every job runs exactly once and no call returns
    /// before its workers finished (a worker's completion signal arriving after the caller moved on once let
    /// the next caller return early and later hang).</summary>
    [Test, CancelAfter(60_000)]
    public void BackToBackJobsCompleteExactlyOnce()
    {
        var body = new Counter();
        const int jobs = 200_000;
        for (int j = 0; j < jobs; j++)
        {
            Kfac.Cpu.CpuParallel.For(0, 64, body, grain: 1, maxThreads: 2);
            if ((j & 1023) == 0)
                for (int i = 0; i < 64; i++)
                    Assert.That(Interlocked.Read(ref body.Hits[i]), Is.EqualTo(j + 1), $"job {j}, index {i}");
        }
        for (int i = 0; i < 64; i++) Assert.That(body.Hits[i], Is.EqualTo(jobs));
    }
}

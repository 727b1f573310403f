using Kfac.Distributed;

namespace Kfac.Tests.Distributed;

/// <summary>
/// A test double: P ranks as P threads of this process, so that the multi-rank behaviour (the contract, the
/// data-parallel equivalence) is tested even where no MPI is installed. Each collective deposits every rank's
/// data in a shared slot, meets at a barrier, computes the result from the slots in rank order (so every rank
/// gets the same bits, as from MPI), and meets again before the slots are reused. A barrier that is not
/// reached within 30 s (a rank that failed or skipped a collective) throws instead of hanging the test.
/// </summary>
internal sealed class ThreadedCommunicator(ThreadedCommunicator.Group group, int rank) : ICommunicator
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public sealed class Group(int size)
    {
        public int Size { get; } = size;

        public Barrier Barrier { get; } = new(size);

        public Array?[] Slots { get; } = new Array?[size];

        /// <summary>Runs <paramref name="body"/> on <see cref="Size"/> threads, one per rank, and returns each
        /// rank's result; the first failure is rethrown (the other ranks time out at their next barrier).</summary>
        public T[] Run<T>(Func<ICommunicator, T> body)
        {
            var results = new T[Size];
            var errors = new Exception?[Size];
            var threads = Enumerable.Range(0, Size).Select(r => new Thread(() =>
            {
                try
                {
                    results[r] = body(new ThreadedCommunicator(this, r));
                }
                catch (Exception e)
                {
                    errors[r] = e;
                }
            }, maxStackSize: 16 << 20)).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            if (errors.FirstOrDefault(e => e is not null && e is not BarrierPostPhaseException) is { } first)
                throw new AggregateException($"a rank failed: {first.Message}", first);
            return results;
        }
    }

    public int Rank { get; } = rank;

    public int Size => group.Size;

    public string Description => $"{Size} threads (test double), rank {Rank}";

    public void AllReduce<T>(Span<T> data, ReduceOperation operation) where T : unmanaged
    {
        CommunicatorChecks.ReducibleType<T>("AllReduce");
        CommunicatorChecks.Operation(operation, "AllReduce");
        group.Slots[Rank] = data.ToArray();
        Meet();
        for (int i = 0; i < data.Length; i++)
        {
            T acc = ((T[])group.Slots[0]!)[i];
            for (int r = 1; r < Size; r++) acc = Combine(acc, ((T[])group.Slots[r]!)[i], operation);
            data[i] = acc;
        }
        Meet();
    }

    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged
    {
        CommunicatorChecks.Root(root, Size, "Broadcast");
        if (Rank == root) group.Slots[root] = data.ToArray();
        Meet();
        ((T[])group.Slots[root]!).CopyTo(data);
        Meet();
    }

    public void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        CommunicatorChecks.GatherLengths(send.Length, receive.Length, Size, "AllGather");
        group.Slots[Rank] = send.ToArray();
        Meet();
        for (int r = 0; r < Size; r++) ((T[])group.Slots[r]!).CopyTo(receive.Slice(r * send.Length, send.Length));
        Meet();
    }

    public void Barrier() => Meet();

    public void Dispose()
    {
    }

    private void Meet()
    {
        if (!group.Barrier.SignalAndWait(Timeout))
            throw new TimeoutException($"rank {Rank}: the other ranks did not reach the collective within {Timeout.TotalSeconds} s");
    }

    private static T Combine<T>(T a, T b, ReduceOperation operation) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return (T)(object)Apply((float)(object)a, (float)(object)b, operation);
        if (typeof(T) == typeof(double)) return (T)(object)Apply((double)(object)a, (double)(object)b, operation);
        if (typeof(T) == typeof(int)) return (T)(object)Apply((int)(object)a, (int)(object)b, operation);
        return (T)(object)Apply((long)(object)a, (long)(object)b, operation);
    }

    private static TN Apply<TN>(TN a, TN b, ReduceOperation operation) where TN : System.Numerics.INumber<TN> => operation switch
    {
        ReduceOperation.Sum => a + b,
        ReduceOperation.Max => TN.Max(a, b),
        _ => TN.Min(a, b),
    };
}

namespace Kfac.Distributed;

/// <summary>One rank: every collective is the identity (an all-gather copies), nothing is communicated.
/// The default wherever a communicator is optional, so single-process training pays nothing. Arguments are
/// checked exactly as <see cref="MpiCommunicator"/> checks them, so a program that is wrong on P ranks is
/// already wrong on one.</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>A shared instance (it holds no state).</summary>
    public static SingleProcessCommunicator Instance { get; } = new();

    /// <summary>Always 0: the only rank.</summary>
    public int Rank => 0;

    /// <summary>Always 1.</summary>
    public int Size => 1;

    /// <summary>"single process".</summary>
    public string Description => "single process";

    /// <summary>Leaves <paramref name="data"/> unchanged (the reduction over one rank), after checking the element type.</summary>
    public void AllReduce<T>(Span<T> data, ReduceOperation operation) where T : unmanaged
    {
        CommunicatorChecks.ReducibleType<T>("AllReduce");
        CommunicatorChecks.Operation(operation, "AllReduce");
    }

    /// <summary>Nothing to copy with one rank; only checks that <paramref name="root"/> is 0.</summary>
    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged => CommunicatorChecks.Root(root, 1, "Broadcast");

    /// <summary>Copies <paramref name="send"/> into <paramref name="receive"/> (rank order of one rank).</summary>
    public void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        CommunicatorChecks.GatherLengths(send.Length, receive.Length, 1, "AllGather");
        send.CopyTo(receive);
    }

    /// <summary>Returns at once (one rank).</summary>
    public void Barrier()
    {
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose()
    {
    }
}

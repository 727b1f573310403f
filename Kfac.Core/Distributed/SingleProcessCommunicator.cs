namespace Kfac.Distributed;

/// <summary>One rank: every collective is the identity (an all-gather copies), nothing is communicated.
/// The default wherever a communicator is optional, so single-process training pays nothing. Arguments are
/// checked exactly as <see cref="MpiCommunicator"/> checks them, so a program that is wrong on P ranks is
/// already wrong on one.</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>A shared instance (it holds no state).</summary>
    public static SingleProcessCommunicator Instance { get; } = new();

    public int Rank => 0;

    public int Size => 1;

    public string Description => "single process";

    public void AllReduce<T>(Span<T> data, ReduceOperation operation) where T : unmanaged
    {
        CommunicatorChecks.ReducibleType<T>("AllReduce");
        CommunicatorChecks.Operation(operation, "AllReduce");
    }

    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged => CommunicatorChecks.Root(root, 1, "Broadcast");

    public void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        CommunicatorChecks.GatherLengths(send.Length, receive.Length, 1, "AllGather");
        send.CopyTo(receive);
    }

    public void Barrier()
    {
    }

    public void Dispose()
    {
    }
}

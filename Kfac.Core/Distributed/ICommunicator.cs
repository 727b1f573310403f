namespace Kfac.Distributed;

/// <summary>
/// The collective operations that synchronous data-parallel training needs (the subset of MPI that PyTorch's
/// torch.distributed and Horovod expose): every rank calls the same operations in the same order with the
/// same element counts, and each call returns only when its result is complete on this rank.
/// <para>Implementations: <see cref="SingleProcessCommunicator"/> (the default: one rank, every operation
/// free) and <see cref="MpiCommunicator"/> (the system's Open MPI or MPICH, bound at run time).</para>
/// <para>Reductions produce the same bits on every rank (MPI's advice to implementors, which Open MPI and
/// MPICH follow for the built-in operations); data-parallel training relies on it to keep replicas
/// bit-identical, and the tests check it.</para>
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's rank, 0 .. Size - 1.</summary>
    int Rank { get; }

    /// <summary>Number of ranks.</summary>
    int Size { get; }

    /// <summary>What this communicator runs on, for logs ("single process", "Open MPI v4.1.4", ...).</summary>
    string Description { get; }

    /// <summary>Replaces <paramref name="data"/> on every rank by the element-wise reduction over ranks.
    /// T is float, double, int or long.</summary>
    void AllReduce<T>(Span<T> data, ReduceOperation operation) where T : unmanaged;

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> into every rank's
    /// <paramref name="data"/> (same length everywhere). Any unmanaged T (sent as bytes).</summary>
    void Broadcast<T>(Span<T> data, int root) where T : unmanaged;

    /// <summary>Concatenates every rank's <paramref name="send"/> (same length everywhere) in rank order into
    /// <paramref name="receive"/> (length Size * send.Length). Any unmanaged T (sent as bytes).</summary>
    void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged;

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();
}

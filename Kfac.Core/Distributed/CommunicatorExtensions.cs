using System.Buffers;
using Kfac.Tensors;

namespace Kfac.Distributed;

/// <summary>The convenience forms: sums and means over spans and tensors, tensor broadcast, all-gather into a
/// new array. A tensor on an accelerator goes through a pooled host buffer (MPI here is host memory only).</summary>
public static class CommunicatorExtensions
{
    /// <summary>Element-wise sum over ranks, in place.</summary>
    public static void AllReduceSum<T>(this ICommunicator communicator, Span<T> data) where T : unmanaged =>
        communicator.AllReduce(data, ReduceOperation.Sum);

    /// <summary>Element-wise mean over ranks, in place: the sum, then each element divided by Size (one
    /// correctly rounded division, so the result is the same bits on every rank).</summary>
    public static void AllReduceMean(this ICommunicator communicator, Span<float> data)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        communicator.AllReduce(data, ReduceOperation.Sum);
        if (communicator.Size == 1) return;
        float size = communicator.Size;
        for (int i = 0; i < data.Length; i++) data[i] /= size;
    }

    /// <inheritdoc cref="AllReduceMean(ICommunicator, Span{float})"/>
    public static void AllReduceMean(this ICommunicator communicator, Span<double> data)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        communicator.AllReduce(data, ReduceOperation.Sum);
        if (communicator.Size == 1) return;
        double size = communicator.Size;
        for (int i = 0; i < data.Length; i++) data[i] /= size;
    }

    /// <summary>One value reduced over ranks (e.g. the largest elapsed time, the total example count).</summary>
    public static double AllReduce(this ICommunicator communicator, double value, ReduceOperation operation)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        Span<double> one = [value];
        communicator.AllReduce(one, operation);
        return one[0];
    }

    /// <summary>Element-wise sum over ranks of a float32 or float64 tensor, in place (any device).</summary>
    public static void AllReduceSum(this ICommunicator communicator, Tensor tensor) => ReduceTensor(communicator, tensor, mean: false);

    /// <summary>Element-wise mean over ranks of a float32 or float64 tensor, in place (any device).</summary>
    public static void AllReduceMean(this ICommunicator communicator, Tensor tensor) => ReduceTensor(communicator, tensor, mean: true);

    /// <summary>Overwrites <paramref name="tensor"/> on every rank with rank <paramref name="root"/>'s values
    /// (same shape and dtype everywhere; any device).</summary>
    public static void Broadcast(this ICommunicator communicator, Tensor tensor, int root)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType == DType.Float32) WithHostSpan<float>(tensor, s => communicator.Broadcast(s, root));
        else WithHostSpan<double>(tensor, s => communicator.Broadcast(s, root));
    }

    /// <summary>Every rank's <paramref name="send"/> (same length everywhere), concatenated in rank order.</summary>
    public static T[] AllGather<T>(this ICommunicator communicator, ReadOnlySpan<T> send) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(communicator);
        var receive = new T[send.Length * communicator.Size];
        communicator.AllGather(send, receive);
        return receive;
    }

    private static void ReduceTensor(ICommunicator communicator, Tensor tensor, bool mean)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType == DType.Float32)
            WithHostSpan<float>(tensor, s => { if (mean) communicator.AllReduceMean(s); else communicator.AllReduceSum(s); });
        else
            WithHostSpan<double>(tensor, s => { if (mean) communicator.AllReduceMean(s); else communicator.AllReduceSum(s); });
    }

    private delegate void SpanAction<T>(Span<T> span);

    /// <summary>Runs <paramref name="action"/> on the tensor's elements: directly on a CPU tensor, else on a
    /// pooled host copy that is uploaded afterwards.</summary>
    private static void WithHostSpan<T>(Tensor tensor, SpanAction<T> action) where T : unmanaged
    {
        if (tensor.Device.Equals(Device.Cpu))
        {
            action(tensor.AsSpan<T>());
            return;
        }
        var buffer = ArrayPool<T>.Shared.Rent(tensor.Numel);
        try
        {
            var span = buffer.AsSpan(0, tensor.Numel);
            tensor.Backend.Download<T>(tensor.Storage, 0, span);
            action(span);
            tensor.CopyFrom<T>(span);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }
}

using ILGPU;
using ILGPU.Runtime;

namespace Kfac.Gpu.Runtime;

/// <summary>
/// Device buffers kept by size for reuse, one pool per accelerator. A training step asks for the same sizes every
/// step, so after the first step it allocates no device memory (<see cref="DeviceAllocations"/> stops growing; the
/// tests check it). Sizes are rounded up to 256 bytes, so a float buffer of 2n elements and a double buffer of n
/// share a bucket. At most <see cref="MaxPooledBytes"/> are kept; buffers beyond that are freed.
/// </summary>
public sealed class GpuMemoryPool : IDisposable
{
    private const long Granularity = 256;
    private readonly Accelerator _accelerator;
    private readonly Dictionary<long, Stack<MemoryBuffer1D<byte, Stride1D.Dense>>> _free = [];
    private readonly Lock _gate = new();
    private long _pooledBytes;
    private bool _disposed;

    internal GpuMemoryPool(Accelerator accelerator) => _accelerator = accelerator;

    public long MaxPooledBytes { get; set; } = 16L << 30;

    /// <summary>Number of device allocations made so far (a pool miss allocates).</summary>
    public long DeviceAllocations { get; private set; }

    /// <summary>Bytes currently held in the pool (not in use by any storage).</summary>
    public long PooledBytes
    {
        get { lock (_gate) return _pooledBytes; }
    }

    internal MemoryBuffer1D<byte, Stride1D.Dense> Rent(long bytes)
    {
        long size = Math.Max(Granularity, (bytes + Granularity - 1) / Granularity * Granularity);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                _pooledBytes -= size;
                return stack.Pop();
            }
            DeviceAllocations++;
        }
        try
        {
            return _accelerator.Allocate1D<byte>(size);
        }
        catch (Exception) when (PooledBytes > 0)
        {
            // Device memory may be held by the pool: free it and try once more before giving up.
            Trim();
            return _accelerator.Allocate1D<byte>(size);
        }
    }

    internal void Return(MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        lock (_gate)
        {
            if (_disposed || _pooledBytes + buffer.Length > MaxPooledBytes)
            {
                buffer.Dispose();
                return;
            }
            if (!_free.TryGetValue(buffer.Length, out var stack))
                _free[buffer.Length] = stack = new Stack<MemoryBuffer1D<byte, Stride1D.Dense>>();
            stack.Push(buffer);
            _pooledBytes += buffer.Length;
        }
    }

    /// <summary>Frees every pooled buffer (device memory in use by live tensors is untouched).</summary>
    public void Trim()
    {
        lock (_gate)
        {
            foreach (var stack in _free.Values)
                while (stack.Count > 0) stack.Pop().Dispose();
            _free.Clear();
            _pooledBytes = 0;
        }
    }

    public void Dispose()
    {
        Trim();
        lock (_gate) _disposed = true;
    }
}

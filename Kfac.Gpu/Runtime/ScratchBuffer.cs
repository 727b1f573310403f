using ILGPU;
using ILGPU.Runtime;

namespace Kfac.Gpu.Runtime;

/// <summary>A device work buffer rented from the pool for the duration of one backend call (returned on Dispose,
/// so repeated calls of the same size allocate nothing). Work queued on the stream may still use it after Dispose;
/// that is safe because the next user of the pooled buffer queues its work on the same stream, after it.</summary>
internal readonly struct ScratchBuffer<T> : IDisposable where T : unmanaged
{
    private readonly GpuMemoryPool _pool;
    private readonly MemoryBuffer1D<byte, Stride1D.Dense> _buffer;

    public ScratchBuffer(GpuMemoryPool pool, long length)
    {
        _pool = pool;
        _buffer = pool.Rent(System.Math.Max(1, length) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        View = _buffer.View.AsContiguous().Cast<T>().SubView(0, length);
    }

    public ArrayView<T> View { get; }

    public void Dispose() => _pool.Return(_buffer);
}

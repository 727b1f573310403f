using ILGPU;
using ILGPU.Runtime;
using Kfac.Tensors;
using Device = Kfac.Tensors.Device;

namespace Kfac.Gpu.Runtime;

/// <summary>
/// Device memory behind a tensor: an ILGPU byte buffer from the backend's <see cref="GpuMemoryPool"/>, viewed as
/// float or double. Reference counting is Storage's: when the last tensor lets go, <see cref="Release"/> returns the
/// buffer to the pool (no device free, so the next step reuses it). <see cref="Dispose"/> frees the device memory at
/// once instead. A storage that is never released (its tensors were garbage collected without Dispose) keeps its
/// buffer until ILGPU finalises it.
/// </summary>
public sealed class GpuStorage : Storage, IDisposable
{
    private readonly GpuMemoryPool _pool;
    private MemoryBuffer1D<byte, Stride1D.Dense>? _buffer;

    internal GpuStorage(Device device, DType dtype, int length, GpuMemoryPool pool) : base(dtype, length)
    {
        Device = device;
        _pool = pool;
        _buffer = pool.Rent((long)length * dtype.SizeInBytes());
    }

    public override Device Device { get; }

    /// <summary>The device bytes actually held (the request rounded up to the pool's granularity).</summary>
    public long CapacityInBytes => Buffer.Length;

    private MemoryBuffer1D<byte, Stride1D.Dense> Buffer =>
        _buffer ?? throw new ObjectDisposedException(nameof(GpuStorage), $"the {DType} storage of {Length} elements on {Device} was released");

    /// <summary>The first <see cref="Storage.Length"/> elements as T (T must be the dtype's element type).</summary>
    internal ArrayView<T> View<T>() where T : unmanaged
    {
        if (DTypeExtensions.Of<T>() != DType)
            throw new InvalidOperationException($"storage holds {DType}; asked for {typeof(T).Name} elements");
        return Buffer.View.AsContiguous().Cast<T>().SubView(0, Length);
    }

    protected override void Release()
    {
        var b = _buffer;
        _buffer = null;
        if (b is not null) _pool.Return(b);
    }

    /// <summary>Frees the device memory now (not pooled). Tensors still viewing this storage become unusable.</summary>
    public void Dispose()
    {
        var b = _buffer;
        _buffer = null;
        b?.Dispose();
    }
}

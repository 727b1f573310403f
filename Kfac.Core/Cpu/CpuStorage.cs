using System.Runtime.InteropServices;
using Kfac.Tensors;

namespace Kfac.Cpu;

/// <summary>Host memory: a pinned float[] or double[] from <see cref="CpuMemoryPool"/> (pinned so kernels
/// can hand raw pointers to worker threads).</summary>
public sealed class CpuStorage : Storage
{
    private readonly Array _array;

    internal CpuStorage(Device device, DType dtype, int length) : base(dtype, length)
    {
        Device = device;
        _array = CpuMemoryPool.Rent(dtype, length);
    }

    /// <inheritdoc/>
    public override Device Device { get; }

    /// <summary>The elements as T (must match the dtype; checked by the caller).</summary>
    public Span<T> Span<T>() where T : unmanaged =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference((T[])_array), Length);

    /// <summary>Returns the array to <see cref="CpuMemoryPool"/> when the last tensor viewing it is disposed.</summary>
    protected override void Release() => CpuMemoryPool.Return(DType, _array);
}

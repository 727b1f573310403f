using System.Runtime.InteropServices;

namespace Kfac.Cpu.Blas;

/// <summary>
/// 64-byte aligned native memory that grows on demand and is freed by the finalizer when its owner thread dies.
/// Held in [ThreadStatic] slots (<see cref="PackBuffers"/>), so after the first call of a given size a GEMM
/// allocates nothing, neither on the GC heap nor natively.
/// </summary>
internal sealed unsafe class NativeBuffer
{
    private void* _ptr;
    private nuint _bytes;

    public void* Get(nuint bytes)
    {
        if (bytes > _bytes)
        {
            if (_ptr is not null) NativeMemory.AlignedFree(_ptr);
            _ptr = null;
            _bytes = 0;
            // Round up to 64 KiB so slowly growing sizes do not reallocate every call.
            nuint rounded = (bytes + 0xFFFF) & ~(nuint)0xFFFF;
            _ptr = NativeMemory.AlignedAlloc(rounded, 64);
            _bytes = rounded;
        }
        return _ptr;
    }

    ~NativeBuffer()
    {
        if (_ptr is not null) NativeMemory.AlignedFree(_ptr);
    }
}

/// <summary>Per-thread packing buffers: A blocks (each thread packs its own) and the B panel (owned by the thread
/// that called GEMM and shared, read-only, with the workers helping it).</summary>
internal static unsafe class PackBuffers
{
    [ThreadStatic] private static NativeBuffer? t_a;
    [ThreadStatic] private static NativeBuffer? t_b;
    [ThreadStatic] private static NativeBuffer? t_bPanel;

    public static T* A<T>(long count) where T : unmanaged => (T*)(t_a ??= new NativeBuffer()).Get((nuint)(count * sizeof(T)));

    public static T* B<T>(long count) where T : unmanaged => (T*)(t_b ??= new NativeBuffer()).Get((nuint)(count * sizeof(T)));

    /// <summary>One kc x NR micro-panel of B that the calling thread packs and reads itself (fused B packing).</summary>
    public static T* BPanel<T>(long count) where T : unmanaged => (T*)(t_bPanel ??= new NativeBuffer()).Get((nuint)(count * sizeof(T)));
}

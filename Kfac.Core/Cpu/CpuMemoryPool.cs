using Kfac.Tensors;

namespace Kfac.Cpu;

/// <summary>
/// Pinned host arrays kept by exact length for reuse: a training step asks for the same sizes every
/// step, so after the first step it allocates nothing. Arrays are bigger than needed only when the
/// caller asks for a length that was pooled under a size class (lengths are rounded up to multiples of
/// 16 elements). The pool holds at most <see cref="MaxPooledBytes"/>; beyond that arrays go to the GC.
/// </summary>
public static class CpuMemoryPool
{
    private static readonly Dictionary<(DType, int), Stack<Array>> Free = [];
    private static readonly Lock Gate = new();
    private static long _pooledBytes;

    /// <summary>Upper bound on the bytes the pool keeps for reuse (default 8 GiB); returned arrays beyond it are left to the GC.</summary>
    public static long MaxPooledBytes { get; set; } = 8L << 30;

    /// <summary>Bytes currently held in the pool (free arrays waiting for reuse), read under the pool's lock.</summary>
    public static long PooledBytes
    {
        get { lock (Gate) return _pooledBytes; }
    }

    internal static Array Rent(DType dtype, int length)
    {
        int size = RoundUp(length);
        lock (Gate)
        {
            if (Free.TryGetValue((dtype, size), out var stack) && stack.Count > 0)
            {
                _pooledBytes -= (long)size * dtype.SizeInBytes();
                return stack.Pop();
            }
        }
        return dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(size, pinned: true),
            DType.Float64 => GC.AllocateUninitializedArray<double>(size, pinned: true),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    internal static void Return(DType dtype, Array array)
    {
        long bytes = (long)array.Length * dtype.SizeInBytes();
        lock (Gate)
        {
            if (_pooledBytes + bytes > MaxPooledBytes) return;
            if (!Free.TryGetValue((dtype, array.Length), out var stack))
                Free[(dtype, array.Length)] = stack = new Stack<Array>();
            stack.Push(array);
            _pooledBytes += bytes;
        }
    }

    /// <summary>Drops every pooled array (frees memory after a large job).</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            Free.Clear();
            _pooledBytes = 0;
        }
    }

    private static int RoundUp(int length) => length <= 16 ? 16 : (int)Math.Min(int.MaxValue, (length + 15L) & ~15L);
}

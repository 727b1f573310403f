using System.Runtime.InteropServices;
using Kfac.Tensors;

namespace Kfac.Cpu.Blas;

/// <summary>
/// Packed copies of GEMM B operands whose memory a caller has declared constant for a while (<see cref="Hold"/>).
/// A GEMM whose op(B) lies inside a held region packs it once into a cached buffer (the same micro-panel layout the
/// driver builds per call, for the whole of n in one chunk) and every later GEMM with the same operand, stride,
/// transpose, shape and kernel blocking reads that copy instead of packing again.
/// <para>
/// Why: K-FAC runs the network's weights through many small-batch products per step (the statistics pass on a
/// fraction of the batch, its backward, and two Jacobian-vector products for the quadratic model, all on 250 rows at
/// batch 4000). For a 1000 x 784 weight and 250 rows, packing the 3 MB weight is a fifth of the product's time
/// (1.46 -> 1.14 ms measured with packing skipped); with the weights held through the step, each is packed once
/// per orientation instead of about four times.
/// </para>
/// <para>
/// Contract: while a hold is alive its memory must not be written (nothing checks it; a write makes later products
/// read stale packed data). Disposing the hold returns its buffers to a bounded pool, so a training loop that holds
/// the same weights every step allocates nothing after the first. Thread-safe: lookups read an immutable array;
/// a product that finds an entry another thread is still packing packs its own copy as usual.
/// </para>
/// <para>
/// Long-lived holds (a curvature block's inverses, held from one refresh to the next) may be dropped without
/// Dispose when their owner is abandoned. The registry therefore references holds weakly, and a hold references the
/// storages it covers strongly: while any thread can still reach a hold (a product's lookup on another thread keeps
/// it in a local for a moment), its memory cannot be collected and handed to a new array, and once the hold is
/// unreachable its weak reference is cleared in the same collection that could free that memory. Its finalizer then
/// frees its buffers. (Without the strong reference, a collection that ran while a lookup on another thread held a
/// dead owner's hold freed the owner's arrays but kept the hold matching: the next array allocated over that memory
/// was read through the old packed copy. ACKTR's background inverse refresh hit this, in about one run in ten.)
/// A storage that goes back to its pool while held (a contract breach: the tensor was disposed) stops matching too.
/// </para>
/// </summary>
internal static unsafe class PackedOperandCache
{
    private static readonly object s_lock = new();
    private static WeakReference<Holding>[] s_holds = [];
    private static readonly Dictionary<nuint, Stack<nint>> s_pool = [];
    private static nuint s_pooledBytes, s_inUseBytes, s_peakInUseBytes;

    /// <summary>The pool keeps freed buffers up to the larger of this and the most ever in use at once, so a model of
    /// any size that holds the same operands every step reuses its buffers; beyond that they go back to the OS.</summary>
    private const ulong MinPoolLimitBytes = 256UL << 20;

    /// <summary>Whether any hold is alive (the driver's only cost when none is).</summary>
    public static bool Active => !Disabled && Volatile.Read(ref s_holds).Length > 0;

    /// <summary>Ignore every hold (products pack per call): for measuring what the cache saves
    /// (`Kfac.Bench step --no-operand-cache`).</summary>
    internal static bool Disabled { get; set; }

    /// <summary>Declares the byte ranges [start, start + bytes) constant until the returned hold is disposed; region i
    /// lies in <paramref name="owners"/>[i], which the hold keeps alive (see the class remarks).</summary>
    public static Holding Hold((nint Start, nint Bytes)[] regions, Storage[] owners)
    {
        if (owners.Length != regions.Length)
            throw new ArgumentException($"Hold: {regions.Length} regions but {owners.Length} owners; give one owning storage per region", nameof(owners));
        var h = new Holding(regions, owners);
        lock (s_lock) s_holds = [.. s_holds.Where(w => w.TryGetTarget(out _)), new WeakReference<Holding>(h)];
        return h;
    }

    /// <summary>
    /// The cached packed op(B) for this operand, or null when B is not inside a held region (or another thread is
    /// packing it right now). When <paramref name="fill"/> is set the buffer is new: the caller packs all of op(B)
    /// into it (k blocks of depth kc, each kcb x nPad, panel q at offset p0 * nPad + q * kcb * nr) and then calls
    /// <see cref="Entry.MarkReady"/>.
    /// </summary>
    public static T* Find<T>(T* b, int ldb, bool transB, int k, int n, int nr, int kc, out Entry? fill) where T : unmanaged
    {
        fill = null;
        var holds = Volatile.Read(ref s_holds);
        if (holds.Length == 0) return null;
        long elements = transB ? (long)(n - 1) * ldb + k : (long)(k - 1) * ldb + n;
        nint start = (nint)b, end = start + (nint)(elements * sizeof(T));
        foreach (var w in holds)
        {
            if (!w.TryGetTarget(out var h) || !h.Covers(start, end)) continue;
            lock (h.Entries)
            {
                if (h.Disposed) return null;
                foreach (var e in h.Entries)
                    if (e.Matches(start, ldb, transB, k, n, nr, kc, sizeof(T)))
                        return Volatile.Read(ref e.Ready) ? (T*)e.Buffer : null;
                long nPad = (n + nr - 1) / nr * nr;
                nuint bytes = (nuint)(k * nPad * sizeof(T));
                var entry = new Entry(start, ldb, transB, k, n, nr, kc, sizeof(T), Rent(bytes), bytes);
                h.Entries.Add(entry);
                fill = entry;
                return (T*)entry.Buffer;
            }
        }
        return null;
    }

    internal static void Release(Holding h)
    {
        lock (s_lock)
        {
            if (h.Disposed) return;
            s_holds = s_holds.Where(w => w.TryGetTarget(out var x) && !ReferenceEquals(x, h)).ToArray();
        }
        lock (h.Entries)
        {
            h.Disposed = true;
            foreach (var e in h.Entries) Return(e.Buffer, e.Bytes);
            h.Entries.Clear();
        }
    }

    private static void* Rent(nuint bytes)
    {
        lock (s_lock)
        {
            s_inUseBytes += bytes;
            s_peakInUseBytes = Math.Max(s_peakInUseBytes, s_inUseBytes);
            if (s_pool.TryGetValue(bytes, out var stack) && stack.Count > 0)
            {
                s_pooledBytes -= bytes;
                return (void*)stack.Pop();
            }
        }
        return NativeMemory.AlignedAlloc(bytes, 64);
    }

    private static void Return(void* buffer, nuint bytes)
    {
        lock (s_lock)
        {
            s_inUseBytes -= bytes;
            if (s_pooledBytes + bytes <= Math.Max(MinPoolLimitBytes, s_peakInUseBytes))
            {
                if (!s_pool.TryGetValue(bytes, out var stack)) s_pool[bytes] = stack = new Stack<nint>();
                stack.Push((nint)buffer);
                s_pooledBytes += bytes;
                return;
            }
        }
        NativeMemory.AlignedFree(buffer);
    }

    /// <summary>Buffers currently pooled (for tests).</summary>
    internal static nuint PooledBytes
    {
        get { lock (s_lock) return s_pooledBytes; }
    }

    /// <summary>A set of constant regions and the packed operands built from them.</summary>
    public sealed class Holding : IDisposable
    {
        private readonly (nint Start, nint Bytes)[] _regions;
        private readonly Storage[] _owners; // strong: the memory of a reachable hold is never reused

        internal Holding((nint Start, nint Bytes)[] regions, Storage[] owners) => (_regions, _owners) = (regions, owners);

        internal List<Entry> Entries { get; } = [];

        internal bool Disposed { get; set; }

        internal bool Covers(nint start, nint end)
        {
            for (int i = 0; i < _regions.Length; i++)
            {
                var (s, bytes) = _regions[i];
                if (start >= s && end <= s + bytes && !_owners[i].IsReleased) return true;
            }
            return false;
        }

        /// <summary>Packed operands built under this hold (for tests).</summary>
        internal int EntryCount
        {
            get { lock (Entries) return Entries.Count; }
        }

        public void Dispose()
        {
            Release(this);
            GC.SuppressFinalize(this);
        }

        /// <summary>An abandoned hold (never disposed) gives its buffers back when collected.</summary>
        ~Holding() => Release(this);
    }

    /// <summary>One packed operand: its key (address, stride, transpose, shape, kernel width, depth, element size).</summary>
    public sealed class Entry(nint b, int ldb, bool transB, int k, int n, int nr, int kc, int elementSize, void* buffer, nuint bytes)
    {
        internal void* Buffer { get; } = buffer;
        internal nuint Bytes { get; } = bytes;
        internal bool Ready;

        internal bool Matches(nint b2, int ldb2, bool transB2, int k2, int n2, int nr2, int kc2, int elementSize2) =>
            b2 == b && ldb2 == ldb && transB2 == transB && k2 == k && n2 == n && nr2 == nr && kc2 == kc && elementSize2 == elementSize;

        public void MarkReady() => Volatile.Write(ref Ready, true);
    }
}

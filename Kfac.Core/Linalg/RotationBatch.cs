using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kfac.Linalg;

/// <summary>
/// Deferred Givens rotations on the rows of an n x n row-major matrix Zt: rotation (i, c, s) maps rows
/// (z_i, z_i+1) to (c z_i - s z_i+1, s z_i + c z_i+1), i.e. Z := Z G on the columns of Z = Zt^T.
/// Rotations are queued in order and applied in column chunks of Zt (each chunk sees the whole queue in
/// order, which is exact because the rotations never mix columns of Zt), so a chunk stays in cache for
/// many sweeps; chunks are independent and run in parallel.
/// </summary>
internal sealed class RotationBatch
{
    private readonly double[] _zt;
    private readonly int _n, _threads, _chunk;
    private readonly int[] _index;
    private readonly double[] _c, _s;
    private int _count;

    public RotationBatch(double[] zt, int n, int maxThreads)
    {
        _zt = zt;
        _n = n;
        _threads = Blas.Threads(maxThreads);
        // Chunk width: 32 doubles per row keeps n rows of a chunk within ~512 KB at n = 2048.
        _chunk = n <= 64 ? n : 32;
        int capacity = Math.Max(4096, 8 * n);
        _index = new int[capacity];
        _c = new double[capacity];
        _s = new double[capacity];
    }

    public void Add(int i, double c, double s)
    {
        if (_count == _index.Length) Flush();
        _index[_count] = i;
        _c[_count] = c;
        _s[_count] = s;
        _count++;
    }

    public void Flush()
    {
        if (_count == 0) return;
        int chunks = (_n + _chunk - 1) / _chunk;
        int threads = (double)_count * _n * 6 > 2e6 ? Math.Min(_threads, chunks) : 1;
        if (threads == 1)
            for (int q = 0; q < chunks; q++) ApplyToChunk(q);
        else
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, ApplyToChunk);
        _count = 0;
    }

    /// <summary>The same sweeps on a full 32-column chunk with the carry in four AVX-512 registers (no bounds checks:
    /// rows i, i + 1 &lt; n and c0 + 32 &lt;= n are guaranteed by the QL driver and the chunking).</summary>
    private void ApplyToChunk32(int c0)
    {
        ref double z = ref MemoryMarshal.GetArrayDataReference(_zt);
        int n = _n, q0 = 0;
        while (q0 < _count)
        {
            int q1 = q0 + 1;
            while (q1 < _count && _index[q1] == _index[q1 - 1] - 1) q1++;
            ref double top = ref Unsafe.Add(ref z, (nint)(_index[q0] + 1) * n + c0);
            Vector512<double> k0 = Vector512.LoadUnsafe(ref top, 0), k1 = Vector512.LoadUnsafe(ref top, 8),
                k2 = Vector512.LoadUnsafe(ref top, 16), k3 = Vector512.LoadUnsafe(ref top, 24);
            for (int q = q0; q < q1; q++)
            {
                ref double zi = ref Unsafe.Add(ref z, (nint)_index[q] * n + c0);
                ref double zi1 = ref Unsafe.Add(ref zi, n);
                var cv = Vector512.Create(_c[q]);
                var sv = Vector512.Create(_s[q]);
                Vector512<double> a0 = Vector512.LoadUnsafe(ref zi, 0), a1 = Vector512.LoadUnsafe(ref zi, 8),
                    a2 = Vector512.LoadUnsafe(ref zi, 16), a3 = Vector512.LoadUnsafe(ref zi, 24);
                (sv * a0 + cv * k0).StoreUnsafe(ref zi1, 0);
                (sv * a1 + cv * k1).StoreUnsafe(ref zi1, 8);
                (sv * a2 + cv * k2).StoreUnsafe(ref zi1, 16);
                (sv * a3 + cv * k3).StoreUnsafe(ref zi1, 24);
                k0 = cv * a0 - sv * k0;
                k1 = cv * a1 - sv * k1;
                k2 = cv * a2 - sv * k2;
                k3 = cv * a3 - sv * k3;
            }
            ref double bottom = ref Unsafe.Add(ref z, (nint)_index[q1 - 1] * n + c0);
            k0.StoreUnsafe(ref bottom, 0);
            k1.StoreUnsafe(ref bottom, 8);
            k2.StoreUnsafe(ref bottom, 16);
            k3.StoreUnsafe(ref bottom, 24);
            q0 = q1;
        }
    }

    /// <summary>
    /// Applies the queue to columns [c0, c0 + width) of Zt. A QL sweep is a run of rotations on (i, i+1) with i
    /// decreasing by one, and rotation (i, i+1) leaves z_i+1 final for the sweep, so each sweep is one pass down
    /// the rows with the running z_i kept in a small carry (dlasr with the shared row held over): every row is
    /// read and written once per sweep instead of twice.
    /// </summary>
    private void ApplyToChunk(int chunkIndex)
    {
        int c0 = chunkIndex * _chunk, width = Math.Min(_chunk, _n - c0);
        if (width == 32 && Vector512.IsHardwareAccelerated)
        {
            ApplyToChunk32(c0);
            return;
        }
        int vw = Vector<double>.Count, vectors = width / vw, tailStart = vectors * vw;
        Span<Vector<double>> carry = stackalloc Vector<double>[Math.Max(1, vectors)];
        Span<double> carryTail = stackalloc double[Math.Max(1, vw)];
        var z = _zt.AsSpan();
        int q0 = 0;
        while (q0 < _count)
        {
            int q1 = q0 + 1;
            while (q1 < _count && _index[q1] == _index[q1 - 1] - 1) q1++;

            int top = _index[q0] + 1;
            var rowTop = z.Slice(top * _n + c0, width);
            MemoryMarshal.Cast<double, Vector<double>>(rowTop)[..vectors].CopyTo(carry);
            rowTop[tailStart..].CopyTo(carryTail);
            for (int q = q0; q < q1; q++)
            {
                int i = _index[q];
                double c = _c[q], s = _s[q];
                var zi = z.Slice(i * _n + c0, width);
                var zi1 = z.Slice((i + 1) * _n + c0, width);
                var viv = MemoryMarshal.Cast<double, Vector<double>>(zi);
                var vi1v = MemoryMarshal.Cast<double, Vector<double>>(zi1);
                Vector<double> cv = new(c), sv = new(s);
                for (int k = 0; k < vectors; k++)
                {
                    Vector<double> a = viv[k], b = carry[k];
                    vi1v[k] = sv * a + cv * b;
                    carry[k] = cv * a - sv * b;
                }
                for (int k = tailStart; k < width; k++)
                {
                    double a = zi[k], b = carryTail[k - tailStart];
                    zi1[k] = s * a + c * b;
                    carryTail[k - tailStart] = c * a - s * b;
                }
            }
            var rowBottom = z.Slice(_index[q1 - 1] * _n + c0, width);
            carry[..vectors].CopyTo(MemoryMarshal.Cast<double, Vector<double>>(rowBottom));
            carryTail[..(width - tailStart)].CopyTo(rowBottom[tailStart..]);
            q0 = q1;
        }
    }
}

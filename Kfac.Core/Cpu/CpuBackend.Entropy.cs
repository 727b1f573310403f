using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

internal sealed partial class CpuBackend
{
    /// <summary>sum_i -p ln p (+ -(1 - p) ln(1 - p) when binary) in one pass: per 256-bit vector the range check, both
    /// logs and the products, accumulated in vectors, flushed to double every 512 elements; blocks of 64K elements
    /// split across threads with their partial sums added in block order (the same result for any thread count).</summary>
    public double EntropySum(Tensor p, bool binary) =>
        IsDouble(p) ? EntropySum<double>(S<double>(p), binary) : EntropySum<float>(S<float>(p), binary);

    private const int EntropyBlock = 1 << 16;

    private static unsafe double EntropySum<T>(Span<T> p, bool binary) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = (p.Length + EntropyBlock - 1) / EntropyBlock;
        if (blocks <= 1) return EntropyBlockSum<T>(p, binary);
        // One partial sum per block; on the stack for any batch up to 64M elements (no allocation per step).
        double[]? heap = blocks > 1024 ? new double[blocks] : null;
        Span<double> partial = heap ?? stackalloc double[blocks];
        fixed (T* data = p)
        fixed (double* sums = partial)
        {
            var body = new EntropyBody<T>(data, p.Length, binary, sums);
            CpuParallel.For(0, blocks, in body, grain: 1);
        }
        double sum = 0;
        foreach (double s in partial) sum += s;
        return sum;
    }

    private unsafe struct EntropyBody<T>(T* data, int length, bool binary, double* partial) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Invoke(int from, int to)
        {
            for (int b = from; b < to; b++)
            {
                int start = b * EntropyBlock;
                partial[b] = EntropyBlockSum(new Span<T>(data + start, Math.Min(EntropyBlock, length - start)), binary);
            }
        }
    }

    /// <summary>One block: -infinity as soon as an element is outside [0, 1] or NaN.</summary>
    private static double EntropyBlockSum<T>(ReadOnlySpan<T> p, bool binary) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int flush = 512;
        double sum = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            int w = Vector256<T>.Count;
            uint allLanes = (1u << w) - 1;
            var one = Vector256<T>.One;
            var tiny = Vector256.Create(T.CreateTruncating(SmallestNormal<T>()));
            ref T start = ref MemoryMarshal.GetReference(p);
            while (i + w <= p.Length)
            {
                var acc = Vector256<T>.Zero;
                var inRange = Vector256<T>.AllBitsSet;
                for (int end = Math.Min(p.Length - w + 1, i + flush); i < end; i += w)
                {
                    var x = Vector256.LoadUnsafe(ref Unsafe.Add(ref start, i));
                    // Comparisons with NaN are false, so a NaN clears its lane too.
                    inRange &= Vector256.GreaterThanOrEqual(x, Vector256<T>.Zero) & Vector256.LessThanOrEqual(x, one);
                    // ln of max(x, smallest normal) is finite, and x = 0 times it is exactly 0: binary values add nothing.
                    acc += x * Log(Vector256.Max(x, tiny));
                    if (binary)
                    {
                        var q = one - x;
                        acc += q * Log(Vector256.Max(q, tiny));
                    }
                }
                if (inRange.ExtractMostSignificantBits() != allLanes) return double.NegativeInfinity;
                sum -= double.CreateTruncating(Vector256.Sum(acc));
            }
        }
        for (; i < p.Length; i++)
        {
            T x = p[i];
            if (!(x >= T.Zero && x <= T.One)) return double.NegativeInfinity;
            double v = double.CreateTruncating(x);
            if (v > 0) sum -= v * Math.Log(v);
            if (binary && v < 1) sum -= (1 - v) * Math.Log(1 - v);
        }
        return sum;
    }

    /// <summary>Vector256.Log for float or double (the JIT drops the other branch).</summary>
    private static Vector256<T> Log<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector256.Log(x.AsSingle()).As<float, T>() : Vector256.Log(x.AsDouble()).As<double, T>();

    private static double SmallestNormal<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(double) ? 2.2250738585072014E-308 : 1.1754943508222875E-38;
}

using System.Numerics;
using System.Runtime.Intrinsics;
using Kfac.Sampling;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

internal sealed partial class CpuBackend
{
    /// <summary>Counter-based draws are independent per element, so chunks fill in parallel with the same values.</summary>
    public void FillUniform(Tensor x, ulong key, ulong offset)
    {
        if (IsDouble(x)) FillUniform(S<double>(x), key, offset);
        else FillUniform(S<float>(x), key, offset);
    }

    private static unsafe void FillUniform<T>(Span<T> s, ulong key, ulong offset) where T : unmanaged
    {
        var body = new UniformBody<T> { X = Pointer(s), Key = key, Offset = offset };
        if (s.Length < ParallelThreshold) body.Invoke(0, s.Length);
        else CpuParallel.For(0, s.Length, body, grain: ElementwiseGrain);
    }

    private unsafe struct UniformBody<T> : IRangeBody where T : unmanaged
    {
        public T* X;
        public ulong Key, Offset;

        public readonly void Invoke(int start, int end)
        {
            if (typeof(T) == typeof(double))
                for (int i = start; i < end; i++) ((double*)X)[i] = RandomStream.UniformDouble(Key, Offset + (ulong)i);
            else
                for (int i = start; i < end; i++) ((float*)X)[i] = RandomStream.UniformSingle(Key, Offset + (ulong)i);
        }
    }

    public void FillNormal(Tensor x, ulong key, ulong offset)
    {
        if (IsDouble(x))
        {
            var s = S<double>(x);
            for (int i = 0; i < s.Length; i++) s[i] = RandomStream.Normal(key, offset + (ulong)i);
        }
        else
        {
            var s = S<float>(x);
            for (int i = 0; i < s.Length; i++) s[i] = (float)RandomStream.Normal(key, offset + (ulong)i);
        }
    }

    public void LessThan(Tensor a, Tensor b, Tensor result)
    {
        if (IsDouble(a)) LessThan<double>(S<double>(a), S<double>(b), S<double>(result));
        else LessThan<float>(S<float>(a), S<float>(b), S<float>(result));
    }

    /// <summary>Branch-free: the comparisons are coin flips when sampling (u &lt; p), which a branch mispredicts half
    /// the time.</summary>
    private static void LessThan<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= r.Length - Vector512<T>.Count; i += Vector512<T>.Count)
                Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Create(a.Slice(i)), Vector512.Create(b.Slice(i))), Vector512<T>.One, Vector512<T>.Zero)
                    .CopyTo(r.Slice(i));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= r.Length - Vector256<T>.Count; i += Vector256<T>.Count)
                Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Create(a.Slice(i)), Vector256.Create(b.Slice(i))), Vector256<T>.One, Vector256<T>.Zero)
                    .CopyTo(r.Slice(i));
        }
        for (; i < r.Length; i++) r[i] = a[i] < b[i] ? T.One : T.Zero;
    }

    public void SampleCategorical(Tensor probabilities, Tensor uniforms, int rows, int cols, Tensor result)
    {
        if (IsDouble(probabilities)) SampleCategorical<double>(S<double>(probabilities), S<double>(uniforms), rows, cols, S<double>(result));
        else SampleCategorical<float>(S<float>(probabilities), S<float>(uniforms), rows, cols, S<float>(result));
    }

    private static void SampleCategorical<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> u, int rows, int cols, Span<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        result[..(rows * cols)].Clear();
        for (int r = 0; r < rows; r++)
        {
            T c = T.Zero;
            int chosen = cols - 1;
            for (int j = 0; j < cols; j++)
            {
                c += p[r * cols + j];
                if (u[r] < c) { chosen = j; break; }
            }
            result[r * cols + chosen] = T.One;
        }
    }
}

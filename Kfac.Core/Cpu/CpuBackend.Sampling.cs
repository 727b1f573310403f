using System.Numerics;
using Kfac.Sampling;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

internal sealed partial class CpuBackend
{
    public void FillUniform(Tensor x, ulong key, ulong offset)
    {
        if (IsDouble(x))
        {
            var s = S<double>(x);
            for (int i = 0; i < s.Length; i++) s[i] = RandomStream.UniformDouble(key, offset + (ulong)i);
        }
        else
        {
            var s = S<float>(x);
            for (int i = 0; i < s.Length; i++) s[i] = RandomStream.UniformSingle(key, offset + (ulong)i);
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

    private static void LessThan<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < r.Length; i++) r[i] = a[i] < b[i] ? T.One : T.Zero;
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

using System.Numerics;
using System.Numerics.Tensors;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

internal sealed partial class CpuBackend
{
    public void SumAxis(Tensor x, int outer, int dim, int inner, Tensor y, bool accumulate)
    {
        if (IsDouble(x)) SumAxis<double>(S<double>(x), outer, dim, inner, S<double>(y), accumulate);
        else SumAxis<float>(S<float>(x), outer, dim, inner, S<float>(y), accumulate);
    }

    private static void SumAxis<T>(ReadOnlySpan<T> x, int outer, int dim, int inner, Span<T> y, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!accumulate) y[..(outer * inner)].Clear();
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                y[o] += TensorPrimitives.Sum(x.Slice(o * dim, dim));
                continue;
            }
            var yo = y.Slice(o * inner, inner);
            for (int d = 0; d < dim; d++)
                TensorPrimitives.Add(yo, x.Slice((o * dim + d) * inner, inner), yo);
        }
    }

    public void SumToMid(Tensor x, int outer, int mid, int inner, Tensor y, bool accumulate)
    {
        if (IsDouble(x)) SumToMid<double>(S<double>(x), outer, mid, inner, S<double>(y), accumulate);
        else SumToMid<float>(S<float>(x), outer, mid, inner, S<float>(y), accumulate);
    }

    private static void SumToMid<T>(ReadOnlySpan<T> x, int outer, int mid, int inner, Span<T> y, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ym = y[..mid];
        if (!accumulate) ym.Clear();
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                TensorPrimitives.Add(ym, x.Slice(o * mid, mid), ym);
                continue;
            }
            for (int m = 0; m < mid; m++)
                ym[m] += TensorPrimitives.Sum(x.Slice((o * mid + m) * inner, inner));
        }
    }

    public void BroadcastAxis(Tensor x, int outer, int dim, int inner, Tensor y, bool accumulate)
    {
        if (IsDouble(x)) BroadcastAxis<double>(S<double>(x), outer, dim, inner, S<double>(y), accumulate);
        else BroadcastAxis<float>(S<float>(x), outer, dim, inner, S<float>(y), accumulate);
    }

    private static void BroadcastAxis<T>(ReadOnlySpan<T> x, int outer, int dim, int inner, Span<T> y, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * inner, inner);
            for (int d = 0; d < dim; d++)
            {
                var yd = y.Slice((o * dim + d) * inner, inner);
                if (accumulate) TensorPrimitives.Add(yd, xo, yd);
                else xo.CopyTo(yd);
            }
        }
    }
}

using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Kfac.Gpu.Kernels;
using Kfac.Gpu.Arithmetic;
using Kfac.Gpu.Runtime;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>Fill, copies, axpby/affine and the pointwise unary/binary ops (grid-stride kernels, one launch each).</summary>
public sealed partial class IlgpuBackend
{
    public void Fill(Tensor x, double value)
    {
        if (x.Numel == 0) return;
        var block = new BlockArgs { Rows = 1, Cols = x.Numel, DstStride = x.Numel };
        if (IsDouble(x)) _f64.FillBlock(Policy.Linear(x.Numel), V<double>(x, nameof(x)), block, value);
        else _f32.FillBlock(Policy.Linear(x.Numel), V<float>(x, nameof(x)), block, (float)value);
    }

    public void Copy(Tensor x, Tensor y)
    {
        SameDType(x, y, nameof(x), nameof(y));
        if (x.Numel != y.Numel)
            throw new ArgumentException($"Copy: 'x' has shape {x.Shape} ({x.Numel} elements), 'y' has shape {y.Shape} ({y.Numel})", nameof(y));
        if (x.Numel == 0) return;
        if (IsDouble(x)) V<double>(x, nameof(x)).CopyTo(_stream, V<double>(y, nameof(y)));
        else V<float>(x, nameof(x)).CopyTo(_stream, V<float>(y, nameof(y)));
    }

    public void Axpby(double alpha, Tensor x, double beta, Tensor y)
    {
        SameDType(x, y, nameof(x), nameof(y));
        AtLeast(x, y.Numel, nameof(x), $"Axpby into 'y' of shape {y.Shape}");
        int n = y.Numel;
        if (n == 0) return;
        if (IsDouble(x)) _f64.Axpby(Policy.Linear(n), V<double>(x, nameof(x)), V<double>(y, nameof(y)), n, alpha, beta);
        else _f32.Axpby(Policy.Linear(n), V<float>(x, nameof(x)), V<float>(y, nameof(y)), n, (float)alpha, (float)beta);
    }

    public void Affine(Tensor x, double scale, double shift, Tensor y)
    {
        SameDType(x, y, nameof(x), nameof(y));
        AtLeast(x, y.Numel, nameof(x), $"Affine into 'y' of shape {y.Shape}");
        int n = y.Numel;
        if (n == 0) return;
        if (IsDouble(x)) _f64.Affine(Policy.Linear(n), V<double>(x, nameof(x)), V<double>(y, nameof(y)), n, scale, shift);
        else _f32.Affine(Policy.Linear(n), V<float>(x, nameof(x)), V<float>(y, nameof(y)), n, (float)scale, (float)shift);
    }

    public void Unary(UnaryOp op, Tensor x, Tensor y)
    {
        SameDType(x, y, nameof(x), nameof(y));
        AtLeast(x, y.Numel, nameof(x), $"{op} into 'y' of shape {y.Shape}");
        int code = OpCodes.Check(op, nameof(op));
        int n = y.Numel;
        if (n == 0) return;
        if (IsDouble(x)) _f64.Unary(Policy.Linear(n), V<double>(x, nameof(x)), V<double>(y, nameof(y)), n, code);
        else _f32.Unary(Policy.Linear(n), V<float>(x, nameof(x)), V<float>(y, nameof(y)), n, code);
    }

    public void UnaryDerivativeProduct(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, bool accumulate)
    {
        SameDType(x, dx, nameof(x), nameof(dx));
        int code = OpCodes.Check(op, nameof(op));
        int n = dx.Numel;
        AtLeast(x, n, nameof(x), $"d{op} into 'dx' of shape {dx.Shape}");
        AtLeast(y, n, nameof(y), $"d{op} into 'dx' of shape {dx.Shape}");
        AtLeast(dy, n, nameof(dy), $"d{op} into 'dx' of shape {dx.Shape}");
        if (n == 0) return;
        int acc = accumulate ? 1 : 0;
        if (IsDouble(x))
            _f64.UnaryDerivative(Policy.Linear(n), V<double>(x, nameof(x)), V<double>(y, nameof(y)), V<double>(dy, nameof(dy)), V<double>(dx, nameof(dx)), n, code, acc);
        else
            _f32.UnaryDerivative(Policy.Linear(n), V<float>(x, nameof(x)), V<float>(y, nameof(y)), V<float>(dy, nameof(dy)), V<float>(dx, nameof(dx)), n, code, acc);
    }

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c, BroadcastLayout layout, bool accumulate)
    {
        SameDType(a, c, nameof(a), nameof(c));
        SameDType(b, c, nameof(b), nameof(c));
        int code = OpCodes.Check(op, nameof(op)), side = OpCodes.Check(layout.Side, nameof(layout));
        if (layout.Outer < 0 || layout.Mid < 0 || layout.Inner < 0)
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "layout sizes must be >= 0");
        long total = (long)layout.Outer * layout.Mid * layout.Inner;
        AtLeast(c, total, nameof(c), $"{op} with layout {layout}");
        AtLeast(a, layout.Side == BroadcastSide.Left ? layout.Mid : total, nameof(a), $"{op} with layout {layout}");
        AtLeast(b, layout.Side == BroadcastSide.Right ? layout.Mid : total, nameof(b), $"{op} with layout {layout}");
        if (total == 0) return;
        var args = new BinaryArgs
        {
            Op = code, Outer = layout.Outer, Mid = layout.Mid, Inner = layout.Inner,
            Side = side, Accumulate = accumulate ? 1 : 0,
        };
        if (IsDouble(c)) _f64.Binary(Policy.Linear(total), V<double>(a, nameof(a)), V<double>(b, nameof(b)), V<double>(c, nameof(c)), args);
        else _f32.Binary(Policy.Linear(total), V<float>(a, nameof(a)), V<float>(b, nameof(b)), V<float>(c, nameof(c)), args);
    }
}

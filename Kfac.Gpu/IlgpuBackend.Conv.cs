using ILGPU.Runtime;
using Kfac.Gpu.Kernels;
using Kfac.Ops;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>
/// Convolution and pooling primitives over NCHW images: im2col / col2im, the middle-axes swap, max pooling with
/// its backward pass and JVP. Every kernel writes each output element from one thread (col2im and the pooling
/// backward gather from the windows covering an input element instead of scattering into it), so nothing needs
/// atomics and the sums run in the CPU backend's order: the results equal the CPU backend's bit for bit.
/// </summary>
public sealed partial class IlgpuBackend
{
    public void Im2Col(Tensor x, WindowGeometry g, Tensor cols)
    {
        SameDType(x, cols, nameof(x), nameof(cols));
        var w = Window(g, "Im2Col");
        AtLeast(x, g.InputNumel, nameof(x), $"Im2Col over {g}");
        long total = (long)g.PatchSize * g.PatchCount;
        AtLeast(cols, total, nameof(cols), $"Im2Col over {g}");
        if (total == 0) return;
        if (IsDouble(x)) _f64.Im2Col(Policy.Linear(total), V<double>(x, nameof(x)), V<double>(cols, nameof(cols)), w);
        else _f32.Im2Col(Policy.Linear(total), V<float>(x, nameof(x)), V<float>(cols, nameof(cols)), w);
    }

    public void Col2Im(Tensor cols, WindowGeometry g, Tensor dx, bool accumulate)
    {
        SameDType(cols, dx, nameof(cols), nameof(dx));
        var w = Window(g, "Col2Im");
        AtLeast(cols, (long)g.PatchSize * g.PatchCount, nameof(cols), $"Col2Im over {g}");
        long total = (long)g.Batch * g.Channels * g.Height * g.Width;
        AtLeast(dx, total, nameof(dx), $"Col2Im over {g}");
        if (total == 0) return;
        int acc = accumulate ? 1 : 0;
        if (IsDouble(dx)) _f64.Col2Im(Policy.Linear(total), V<double>(cols, nameof(cols)), V<double>(dx, nameof(dx)), w, acc);
        else _f32.Col2Im(Policy.Linear(total), V<float>(cols, nameof(cols)), V<float>(dx, nameof(dx)), w, acc);
    }

    // The convolution's input gradient through one whole-batch matrix: device memory holds it, and the kernels gain
    // nothing from smaller pieces.
    public void ConvolutionInputGradient(Tensor weight, WindowGeometry g, Tensor dyc, Tensor dx, bool accumulate) =>
        ConvolutionLowering.InputGradient(this, weight, g, dyc, dx, accumulate);

    public void SwapMiddleAxes(Tensor x, int outer, int a, int b, int inner, Tensor y)
    {
        SameDType(x, y, nameof(x), nameof(y));
        if (outer < 0 || a < 0 || b < 0 || inner < 0)
            throw new ArgumentOutOfRangeException(nameof(outer), $"SwapMiddleAxes sizes must be >= 0 (outer {outer}, a {a}, b {b}, inner {inner})");
        long total = (long)outer * a * b * inner;
        AtLeast(x, total, nameof(x), $"SwapMiddleAxes over [{outer}, {a}, {b}, {inner}]");
        AtLeast(y, total, nameof(y), $"SwapMiddleAxes over [{outer}, {a}, {b}, {inner}]");
        if (total == 0) return;
        int n = (int)total;
        if (a == 1 || b == 1)
        {
            // Swapping an axis of length 1 leaves the memory order unchanged.
            if (IsDouble(x)) V<double>(x, nameof(x)).SubView(0, n).CopyTo(_stream, V<double>(y, nameof(y)).SubView(0, n));
            else V<float>(x, nameof(x)).SubView(0, n).CopyTo(_stream, V<float>(y, nameof(y)).SubView(0, n));
            return;
        }
        var s = new SwapArgs { Outer = outer, A = a, B = b, Inner = inner };
        if (inner == 1)
        {
            const int side = KernelLimits.TransposeTile;
            long tiles = (long)outer * ((a + side - 1) / side) * ((b + side - 1) / side);
            var config = Policy.TransposeBatches(tiles);
            if (IsDouble(x)) _f64.BatchedTranspose(config, V<double>(x, nameof(x)), V<double>(y, nameof(y)), s);
            else _f32.BatchedTranspose(config, V<float>(x, nameof(x)), V<float>(y, nameof(y)), s);
            return;
        }
        if (IsDouble(x)) _f64.SwapMiddleAxes(Policy.Linear(total), V<double>(x, nameof(x)), V<double>(y, nameof(y)), s);
        else _f32.SwapMiddleAxes(Policy.Linear(total), V<float>(x, nameof(x)), V<float>(y, nameof(y)), s);
    }

    public void MaxPool(Tensor x, WindowGeometry g, Tensor y) => PoolGather(x, x, g, y, "MaxPool");

    public void MaxPoolJvp(Tensor x, Tensor tx, WindowGeometry g, Tensor ty)
    {
        AtLeast(tx, g.InputNumel, nameof(tx), $"MaxPoolJvp over {g}");
        PoolGather(x, tx, g, ty, "MaxPoolJvp");
    }

    /// <summary>output[window] = source[arg max of x over the window] (MaxPool: source = x; MaxPoolJvp: source = tx).</summary>
    private void PoolGather(Tensor x, Tensor source, WindowGeometry g, Tensor output, string op)
    {
        SameDType(x, source, nameof(x), op == "MaxPool" ? nameof(x) : "tx");
        SameDType(x, output, nameof(x), op == "MaxPool" ? "y" : "ty");
        var w = PoolWindowArgs(g, op);
        AtLeast(x, g.InputNumel, nameof(x), $"{op} over {g}");
        long total = (long)g.Batch * g.Channels * g.Locations;
        AtLeast(output, total, op == "MaxPool" ? "y" : "ty", $"{op} over {g}");
        if (total == 0) return;
        if (IsDouble(x)) _f64.MaxPool(Policy.Linear(total), V<double>(x, nameof(x)), V<double>(source, "source"), V<double>(output, "output"), w);
        else _f32.MaxPool(Policy.Linear(total), V<float>(x, nameof(x)), V<float>(source, "source"), V<float>(output, "output"), w);
    }

    public void MaxPoolBackward(Tensor x, Tensor dy, WindowGeometry g, Tensor dx, bool accumulate)
    {
        SameDType(x, dy, nameof(x), nameof(dy));
        SameDType(x, dx, nameof(x), nameof(dx));
        var w = PoolWindowArgs(g, "MaxPoolBackward");
        long total = g.InputNumel;
        AtLeast(x, total, nameof(x), $"MaxPoolBackward over {g}");
        AtLeast(dx, total, nameof(dx), $"MaxPoolBackward over {g}");
        AtLeast(dy, (long)g.Batch * g.Channels * g.Locations, nameof(dy), $"MaxPoolBackward over {g}");
        if (total == 0) return;
        int acc = accumulate ? 1 : 0;
        if (IsDouble(x)) _f64.MaxPoolBackward(Policy.Linear(total), V<double>(x, nameof(x)), V<double>(dy, nameof(dy)), V<double>(dx, nameof(dx)), w, acc);
        else _f32.MaxPoolBackward(Policy.Linear(total), V<float>(x, nameof(x)), V<float>(dy, nameof(dy)), V<float>(dx, nameof(dx)), w, acc);
    }

    /// <summary>The geometry checked (<see cref="WindowGeometry.Validate"/>, non-negative sizes) as kernel arguments.</summary>
    private static WindowArgs Window(WindowGeometry g, string op)
    {
        if (g.Batch < 0 || g.Channels < 0 || g.Height < 0 || g.Width < 0)
            throw new ArgumentOutOfRangeException(nameof(g), $"{op}: geometry {g} has a negative size");
        g.Validate(op, new Shape(g.Batch, g.Channels, g.Height, g.Width));
        return new WindowArgs
        {
            Batch = g.Batch, Channels = g.Channels, Height = g.Height, Width = g.Width,
            KernelH = g.KernelH, KernelW = g.KernelW, StrideH = g.StrideH, StrideW = g.StrideW, PadH = g.PadH, PadW = g.PadW,
            OutHeight = g.OutHeight, OutWidth = g.OutWidth,
        };
    }

    /// <summary>As <see cref="Window"/>, and every window must hold a real element (padding smaller than the kernel;
    /// the kernels read the first element of the clipped window).</summary>
    private static WindowArgs PoolWindowArgs(WindowGeometry g, string op)
    {
        var w = Window(g, op);
        if (g.PadH >= g.KernelH || g.PadW >= g.KernelW)
            throw new ArgumentOutOfRangeException(nameof(g), $"{op}: padding ({g.PadH}, {g.PadW}) must be smaller than the {g.KernelH}x{g.KernelW} kernel, so that every window covers part of the image");
        return w;
    }
}

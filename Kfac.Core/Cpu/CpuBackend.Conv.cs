using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// im2col / col2im for NCHW images (the convolution's lowering to GEMM, patches as the columns of a
/// [C kh kw, N Hout Wout] matrix) and the middle-axes swap that moves between the GEMM's channel-major output
/// and NCHW. The patch matrix is built row by row from runs of Wout outputs, each a copy of part of one input
/// row (a plain contiguous copy at stride 1), so both directions stream through memory. Images write disjoint
/// columns of cols and disjoint parts of dx: the per-image loop is the unit to spread over cores. The loops
/// are compiled fully optimised at first use (they run a handful of times per step, too few for tiering).
/// </summary>
internal sealed partial class CpuBackend
{
    public void Im2Col(Tensor x, WindowGeometry g, Tensor cols)
    {
        if (IsDouble(x)) Im2Col<double>(S<double>(x), g, S<double>(cols), accumulate: false, adjoint: false);
        else Im2Col<float>(S<float>(x), g, S<float>(cols), accumulate: false, adjoint: false);
    }

    public void Col2Im(Tensor cols, WindowGeometry g, Tensor dx, bool accumulate)
    {
        if (IsDouble(cols)) Im2Col<double>(S<double>(dx), g, S<double>(cols), accumulate, adjoint: true);
        else Im2Col<float>(S<float>(dx), g, S<float>(cols), accumulate, adjoint: true);
    }

    /// <summary>im2col (image to columns), or with <paramref name="adjoint"/> col2im (columns added back into the
    /// image): the same traversal, with the copy direction reversed.</summary>
    private static void Im2Col<T>(Span<T> image, WindowGeometry g, Span<T> cols, bool accumulate, bool adjoint)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < g.Batch; b++)
        {
            int size = g.Channels * g.Height * g.Width;
            var xb = image.Slice(b * size, size);
            if (adjoint && !accumulate) xb.Clear();
            PatchesOfImage(xb, g, cols, b, adjoint);
        }
    }

    /// <summary>The columns of image b: for each patch row q = (c, i, j) and output row p, the run
    /// cols[q, (b, p, 0 .. Wout)] = x[b, c, p sh - ph + i, (0 .. Wout) sw - pw + j], zeros outside the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PatchesOfImage<T>(Span<T> xb, WindowGeometry g, Span<T> cols, int b, bool adjoint)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.Height, w = g.Width, sw = g.StrideW;
        int locations = g.Locations, patches = g.PatchCount;
        for (int c = 0; c < g.Channels; c++)
        {
            var plane = xb.Slice(c * h * w, h * w);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++)
                {
                    int q = (c * g.KernelH + i) * g.KernelW + j;
                    var row = cols.Slice(q * patches + b * locations, locations);
                    // Output columns whose input column (ow sw - pw + j) lies inside the image: [first, last).
                    int shift = j - g.PadW;
                    int first = shift >= 0 ? 0 : Math.Min(ow, (-shift + sw - 1) / sw);
                    int last = w - 1 - shift < 0 ? 0 : Math.Min(ow, (w - 1 - shift) / sw + 1);
                    last = Math.Max(first, last);
                    for (int p = 0; p < oh; p++)
                    {
                        var run = row.Slice(p * ow, ow);
                        int ih = p * g.StrideH - g.PadH + i;
                        if ((uint)ih >= (uint)h)
                        {
                            if (!adjoint) run.Clear();
                            continue;
                        }
                        var input = plane.Slice(ih * w, w);
                        if (!adjoint)
                        {
                            run[..first].Clear();
                            run[last..].Clear();
                        }
                        if (sw == 1)
                        {
                            var inside = input.Slice(first + shift, last - first);
                            if (adjoint) TensorPrimitives.Add(inside, run[first..last], inside);
                            else inside.CopyTo(run[first..last]);
                        }
                        else if (adjoint)
                            for (int k = first; k < last; k++) input[k * sw + shift] += run[k];
                        else
                            for (int k = first; k < last; k++) run[k] = input[k * sw + shift];
                    }
                }
        }
    }

    public void SwapMiddleAxes(Tensor x, int outer, int a, int b, int inner, Tensor y)
    {
        if (IsDouble(x)) SwapMiddleAxes<double>(S<double>(x), outer, a, b, inner, S<double>(y));
        else SwapMiddleAxes<float>(S<float>(x), outer, a, b, inner, S<float>(y));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SwapMiddleAxes<T>(ReadOnlySpan<T> x, int outer, int a, int b, int inner, Span<T> y) where T : unmanaged
    {
        int block = a * b * inner;
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * block, block);
            var yo = y.Slice(o * block, block);
            if (inner == 1)
            {
                Transpose(xo, a, b, yo);
                continue;
            }
            for (int i = 0; i < a; i++)
                for (int j = 0; j < b; j++)
                    xo.Slice((i * b + j) * inner, inner).CopyTo(yo.Slice((j * a + i) * inner, inner));
        }
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// im2col / col2im for NCHW images (the convolution's lowering to GEMM) and the batched transpose that
/// moves between the GEMM's [patch, channel] rows (NHWC) and NCHW. Each kernel works image by image: the
/// images touch disjoint parts of x and of cols, so the per-image loop is the unit to spread over cores.
/// </summary>
internal sealed partial class CpuBackend
{
    public void Im2Col(Tensor x, WindowGeometry g, Tensor cols)
    {
        if (IsDouble(x)) Im2Col<double>(S<double>(x), g, S<double>(cols));
        else Im2Col<float>(S<float>(x), g, S<float>(cols));
    }

    private static void Im2Col<T>(ReadOnlySpan<T> x, WindowGeometry g, Span<T> cols) where T : unmanaged, INumberBase<T>
    {
        for (int b = 0; b < g.Batch; b++) Im2ColImage(x, g, cols, b);
    }

    /// <summary>The patches of image b: one contiguous row of PatchSize elements per window position, each row
    /// the concatenation over (c, i) of KernelW input elements (zeros in the padding).</summary>
    private static void Im2ColImage<T>(ReadOnlySpan<T> x, WindowGeometry g, Span<T> cols, int b) where T : unmanaged, INumberBase<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, k = g.PatchSize, kw = g.KernelW, w = g.Width, h = g.Height;
        int imageSize = g.Channels * h * w;
        ref T x0 = ref MemoryMarshal.GetReference(x.Slice(b * imageSize, imageSize));
        var image = cols.Slice(b * g.Locations * k, g.Locations * k);
        ref T row = ref MemoryMarshal.GetReference(image);
        for (int p = 0; p < oh; p++)
            for (int q = 0; q < ow; q++, row = ref Unsafe.Add(ref row, k))
            {
                int top = p * g.StrideH - g.PadH, left = q * g.StrideW - g.PadW;
                bool inside = left >= 0 && left + kw <= w;
                int o = 0;
                for (int c = 0; c < g.Channels; c++)
                    for (int i = 0; i < g.KernelH; i++, o += kw)
                    {
                        int ih = top + i;
                        ref T dst = ref Unsafe.Add(ref row, o);
                        if ((uint)ih >= (uint)h)
                        {
                            for (int j = 0; j < kw; j++) Unsafe.Add(ref dst, j) = T.Zero;
                            continue;
                        }
                        ref T src = ref Unsafe.Add(ref x0, (c * h + ih) * w);
                        if (inside)
                            for (int j = 0; j < kw; j++) Unsafe.Add(ref dst, j) = Unsafe.Add(ref src, left + j);
                        else
                            for (int j = 0; j < kw; j++)
                            {
                                int iw = left + j;
                                Unsafe.Add(ref dst, j) = (uint)iw < (uint)w ? Unsafe.Add(ref src, iw) : T.Zero;
                            }
                    }
            }
    }

    public void Col2Im(Tensor cols, WindowGeometry g, Tensor dx, bool accumulate)
    {
        if (IsDouble(cols)) Col2Im<double>(S<double>(cols), g, S<double>(dx), accumulate);
        else Col2Im<float>(S<float>(cols), g, S<float>(dx), accumulate);
    }

    private static void Col2Im<T>(ReadOnlySpan<T> cols, WindowGeometry g, Span<T> dx, bool accumulate) where T : unmanaged, INumberBase<T>
    {
        for (int b = 0; b < g.Batch; b++) Col2ImImage(cols, g, dx, accumulate, b);
    }

    /// <summary>Adds image b's patch rows back into dx[b] (the transpose of <see cref="Im2ColImage{T}"/>).</summary>
    private static void Col2ImImage<T>(ReadOnlySpan<T> cols, WindowGeometry g, Span<T> dx, bool accumulate, int b) where T : unmanaged, INumberBase<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, k = g.PatchSize, kw = g.KernelW, w = g.Width, h = g.Height;
        int imageSize = g.Channels * h * w;
        var image = dx.Slice(b * imageSize, imageSize);
        if (!accumulate) image.Clear();
        ref T x0 = ref MemoryMarshal.GetReference(image);
        ref T row = ref MemoryMarshal.GetReference(cols.Slice(b * g.Locations * k, g.Locations * k));
        for (int p = 0; p < oh; p++)
            for (int q = 0; q < ow; q++, row = ref Unsafe.Add(ref row, k))
            {
                int top = p * g.StrideH - g.PadH, left = q * g.StrideW - g.PadW;
                bool inside = left >= 0 && left + kw <= w;
                int o = 0;
                for (int c = 0; c < g.Channels; c++)
                    for (int i = 0; i < g.KernelH; i++, o += kw)
                    {
                        int ih = top + i;
                        if ((uint)ih >= (uint)h) continue;
                        ref T src = ref Unsafe.Add(ref row, o);
                        ref T dst = ref Unsafe.Add(ref x0, (c * h + ih) * w);
                        if (inside)
                            for (int j = 0; j < kw; j++) Unsafe.Add(ref dst, left + j) += Unsafe.Add(ref src, j);
                        else
                            for (int j = 0; j < kw; j++)
                            {
                                int iw = left + j;
                                if ((uint)iw < (uint)w) Unsafe.Add(ref dst, iw) += Unsafe.Add(ref src, j);
                            }
                    }
            }
    }

    public void TransposeBatched(Tensor x, int batch, int rows, int cols, Tensor y)
    {
        int size = rows * cols;
        if (IsDouble(x))
        {
            var xs = S<double>(x);
            var ys = S<double>(y);
            for (int b = 0; b < batch; b++) Transpose<double>(xs.Slice(b * size, size), rows, cols, ys.Slice(b * size, size));
        }
        else
        {
            var xs = S<float>(x);
            var ys = S<float>(y);
            for (int b = 0; b < batch; b++) Transpose<float>(xs.Slice(b * size, size), rows, cols, ys.Slice(b * size, size));
        }
    }
}

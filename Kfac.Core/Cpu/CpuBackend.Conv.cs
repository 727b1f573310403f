using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// im2col / col2im for NCHW images (the convolution's lowering to GEMM, patches as the columns of a
/// [C kh kw, N Hout Wout] matrix) and the middle-axes swap that moves between the GEMM's channel-major output
/// and NCHW. The patch matrix is built row by row from runs of Wout outputs, each a copy of part of one input
/// row (a plain contiguous copy at stride 1), so both directions stream through memory. Images write disjoint
/// columns of cols and disjoint parts of dx, so images are spread over <see cref="CpuParallel"/>'s threads
/// (pool buffers are pinned, so the loop bodies hold raw pointers). The loops are compiled fully optimised
/// at first use (they run a handful of times per step, too few for tiering).
/// </summary>
internal sealed partial class CpuBackend
{
    /// <summary>Below this many elements moved, a kernel runs on the calling thread only.</summary>
    private const int ParallelThreshold = 1 << 15;

    private static int ThreadsFor(long elements) => elements < ParallelThreshold ? 1 : 0;

    internal static unsafe T* Pointer<T>(Span<T> s) where T : unmanaged => (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(s));

    public void Im2Col(Tensor x, WindowGeometry g, Tensor cols)
    {
        if (IsDouble(x)) Patches<double>(S<double>(x), g, S<double>(cols), accumulate: false, adjoint: false);
        else Patches<float>(S<float>(x), g, S<float>(cols), accumulate: false, adjoint: false);
    }

    public void Col2Im(Tensor cols, WindowGeometry g, Tensor dx, bool accumulate)
    {
        if (IsDouble(cols)) Patches<double>(S<double>(dx), g, S<double>(cols), accumulate, adjoint: true);
        else Patches<float>(S<float>(dx), g, S<float>(cols), accumulate, adjoint: true);
    }

    /// <summary>im2col (image to columns), or with <paramref name="adjoint"/> col2im (columns added back into the
    /// image): the same traversal with the copy direction reversed, one image per loop index.</summary>
    private static unsafe void Patches<T>(Span<T> image, WindowGeometry g, Span<T> cols, bool accumulate, bool adjoint)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (image.Length < g.InputNumel || cols.Length < (long)g.PatchSize * g.PatchCount)
            throw new ArgumentException($"{(adjoint ? "col2im" : "im2col")} over {g}: image holds {image.Length} elements (needs {g.InputNumel}), columns {cols.Length} (needs {(long)g.PatchSize * g.PatchCount})");
        var body = new PatchBody<T>
        {
            Image = Pointer(image), Cols = Pointer(cols),
            G = g, Adjoint = adjoint, Accumulate = accumulate,
        };
        CpuParallel.For(0, g.Batch, body, maxThreads: ThreadsFor((long)g.PatchSize * g.PatchCount));
    }

    private unsafe struct PatchBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Image, Cols;
        public WindowGeometry G;
        public bool Adjoint, Accumulate;

        public readonly void Invoke(int start, int end)
        {
            int size = G.Channels * G.Height * G.Width;
            for (int b = start; b < end; b++)
            {
                T* xb = Image + (long)b * size;
                if (Adjoint && !Accumulate) new Span<T>(xb, size).Clear();
                PatchesOfImage(xb, G, Cols, b, Adjoint);
            }
        }
    }

    /// <summary>The columns of image b: for each patch row q = (c, i, j) and output row p, the run
    /// cols[q, (b, p, 0 .. Wout)] = x[b, c, p sh - ph + i, (0 .. Wout) sw - pw + j], zeros outside the image
    /// (with <paramref name="adjoint"/>: each run added back into x instead). Raw pointers throughout: the runs are
    /// short (Wout = 14 in the ConvNet's second layer, 1.4 M of them per step), so a span slice or a library call
    /// per run cost more than the copy itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PatchesOfImage<T>(T* xb, WindowGeometry g, T* cols, int b, bool adjoint)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.Height, w = g.Width, sw = g.StrideW;
        int locations = g.Locations;
        long patches = g.PatchCount;
        // Stride 1 with the output as wide as the input ('same' padding): consecutive output rows read consecutive
        // input rows, so a patch row is one shifted copy of the plane (see SameSizePatchRow).
        bool contiguousRows = g.StrideH == 1 && sw == 1 && ow == w;
        for (int c = 0; c < g.Channels; c++)
        {
            T* plane = xb + (long)c * h * w;
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++)
                {
                    int q = (c * g.KernelH + i) * g.KernelW + j;
                    T* row = cols + q * patches + (long)b * locations;
                    // Output columns whose input column (ow sw - pw + j) lies inside the image: [first, last).
                    int shift = j - g.PadW;
                    int first = shift >= 0 ? 0 : Math.Min(ow, (-shift + sw - 1) / sw);
                    int last = w - 1 - shift < 0 ? 0 : Math.Min(ow, (w - 1 - shift) / sw + 1);
                    last = Math.Max(first, last);
                    if (!adjoint && contiguousRows && last > first)
                    {
                        SameSizePatchRow(plane, row, g, i, shift, first, last);
                        continue;
                    }
                    for (int p = 0; p < oh; p++)
                    {
                        T* run = row + p * ow;
                        int ih = p * g.StrideH - g.PadH + i;
                        if ((uint)ih >= (uint)h)
                        {
                            if (!adjoint) Zero(run, ow);
                            continue;
                        }
                        T* input = plane + ih * w;
                        if (!adjoint)
                        {
                            Zero(run, first);
                            Zero(run + last, ow - last);
                        }
                        if (sw == 1)
                        {
                            if (adjoint) AddRun(input + first + shift, run + first, last - first);
                            else Unsafe.CopyBlockUnaligned(run + first, input + first + shift, (uint)((last - first) * sizeof(T)));
                        }
                        else if (adjoint)
                            for (int k = first; k < last; k++) input[k * sw + shift] += run[k];
                        else
                            for (int k = first; k < last; k++) run[k] = input[k * sw + shift];
                    }
                }
        }
    }

    /// <summary>
    /// One patch row of im2col when stride is 1 and Wout = W: run p of the row is input row ih = p - ph + i shifted by
    /// <paramref name="shift"/>, and the runs of the rows inside the image are adjacent in both the input and the
    /// row, so they are ONE copy of (p1 - p0) W - first - (W - last) elements instead of a small copy per output row
    /// (the per-run overhead dominated at W = 14). The copy also carries, at the ends of each run, elements of the
    /// neighbouring input rows where the window hangs over the left or right edge; those positions are then zeroed,
    /// as are the runs of the output rows whose input row is outside the image.
    /// </summary>
    private static unsafe void SameSizePatchRow<T>(T* plane, T* row, WindowGeometry g, int i, int shift, int first, int last)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = g.OutHeight, w = g.Width, h = g.Height;
        // Output rows p whose input row p - ph + i lies inside the image: [p0, p1).
        int p0 = Math.Clamp(g.PadH - i, 0, oh), p1 = Math.Clamp(h + g.PadH - i, p0, oh);
        Zero(row, p0 * w);
        Zero(row + p1 * w, (oh - p1) * w);
        if (p1 == p0) return;
        int ih0 = p0 - g.PadH + i;
        int start = p0 * w + first, length = (p1 - p0) * w - first - (w - last);
        Unsafe.CopyBlockUnaligned(row + start, plane + ih0 * w + shift + first, (uint)(length * sizeof(T)));
        if (first == 0 && last == w) return;
        for (int p = p0; p < p1; p++)
        {
            T* run = row + p * w;
            for (int k = 0; k < first; k++) run[k] = T.Zero;
            for (int k = last; k < w; k++) run[k] = T.Zero;
        }
    }

    /// <summary>n elements set to zero (n may be 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Zero<T>(T* p, int n) where T : unmanaged
    {
        if (n > 0) Unsafe.InitBlockUnaligned(p, 0, (uint)(n * sizeof(T)));
    }

    /// <summary>dst[k] += src[k] for k &lt; n: whole 256-bit vectors, then one 128-bit vector, then scalars (runs are
    /// a few to a few dozen elements, too short for a library call's setup to pay).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRun<T>(T* dst, T* src, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; k <= n - Vector256<T>.Count; k += Vector256<T>.Count)
                Vector256.Store(Vector256.Load(dst + k) + Vector256.Load(src + k), dst + k);
        if (Vector128.IsHardwareAccelerated && k <= n - Vector128<T>.Count)
        {
            Vector128.Store(Vector128.Load(dst + k) + Vector128.Load(src + k), dst + k);
            k += Vector128<T>.Count;
        }
        for (; k < n; k++) dst[k] += src[k];
    }

    public void SwapMiddleAxes(Tensor x, int outer, int a, int b, int inner, Tensor y)
    {
        if (IsDouble(x)) SwapMiddleAxes<double>(S<double>(x), outer, a, b, inner, S<double>(y));
        else SwapMiddleAxes<float>(S<float>(x), outer, a, b, inner, S<float>(y));
    }

    private static unsafe void SwapMiddleAxes<T>(Span<T> x, int outer, int a, int b, int inner, Span<T> y) where T : unmanaged
    {
        var body = new SwapBody<T> { X = Pointer(x), Y = Pointer(y), A = a, B = b, Inner = inner };
        // Transposes (inner 1) split by outer index; block moves by (outer, i) row of blocks.
        int items = inner == 1 ? outer : outer * a;
        CpuParallel.For(0, items, body, maxThreads: ThreadsFor((long)outer * a * b * inner));
    }

    private unsafe struct SwapBody<T> : IRangeBody where T : unmanaged
    {
        public T* X, Y;
        public int A, B, Inner;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Invoke(int start, int end)
        {
            int block = A * B * Inner;
            for (int item = start; item < end; item++)
            {
                if (Inner == 1)
                {
                    Transpose(new ReadOnlySpan<T>(X + (long)item * block, block), A, B, new Span<T>(Y + (long)item * block, block));
                    continue;
                }
                // item = (o, i): x[o, i, j, :] -> y[o, j, i, :] for every j
                int o = item / A, i = item % A;
                T* xo = X + (long)o * block, yo = Y + (long)o * block;
                for (int j = 0; j < B; j++)
                    new ReadOnlySpan<T>(xo + ((long)i * B + j) * Inner, Inner).CopyTo(new Span<T>(yo + ((long)j * A + i) * Inner, Inner));
            }
        }
    }
}

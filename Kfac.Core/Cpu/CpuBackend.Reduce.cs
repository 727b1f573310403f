using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
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
        if (IsDouble(x)) ParallelSumToMid<double>(S<double>(x), outer, mid, inner, S<double>(y), accumulate);
        else ParallelSumToMid<float>(S<float>(x), outer, mid, inner, S<float>(y), accumulate);
    }

    /// <summary>Columns per task of a parallel column sum: 64 floats, a whole number of cache lines.</summary>
    private const int ColumnBlock = 64;

    /// <summary>
    /// A bias gradient (the column sums of a [rows, cols] gradient, inner = 1) split over blocks of columns: each task
    /// sums its columns over every row, in row order, so every sum is formed exactly as the serial loop forms it.
    /// </summary>
    private static unsafe void ParallelSumToMid<T>(Span<T> x, int outer, int mid, int inner, Span<T> y, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = (mid + ColumnBlock - 1) / ColumnBlock;
        if (inner != 1 || (long)outer * mid < ParallelThreshold || blocks < 2)
        {
            SumToMid<T>(x, outer, mid, inner, y, accumulate);
            return;
        }
        CpuParallel.For(0, blocks, new ColumnSumBody<T> { X = Pointer(x), Y = Pointer(y), Rows = outer, Cols = mid, Accumulate = accumulate }, grain: 1);
    }

    private unsafe struct ColumnSumBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X, Y;
        public int Rows, Cols;
        public bool Accumulate;

        public readonly void Invoke(int start, int end)
        {
            for (int block = start; block < end; block++)
            {
                int c0 = block * ColumnBlock, width = Math.Min(Cols, c0 + ColumnBlock) - c0;
                if (width == ColumnBlock && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported) FullBlock(c0);
                else
                {
                    var ys = new Span<T>(Y + c0, width);
                    if (!Accumulate) ys.Clear();
                    for (int r = 0; r < Rows; r++)
                        TensorPrimitives.Add(ys, new ReadOnlySpan<T>(X + (long)r * Cols + c0, width), ys);
                }
            }
        }

        /// <summary>64 columns summed in registers over all rows (one call per block, not one per row).</summary>
        private readonly void FullBlock(int c0)
        {
            const int vectors = 8;
            int w = Vector256<T>.Count, lanes = ColumnBlock / w; // 8 vectors of floats, or 16 of doubles in two halves
            for (int half = 0; half < lanes; half += vectors)
            {
                int offset = c0 + half * w;
                Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int r = 0; r < Rows; r++)
                {
                    T* row = X + (long)r * Cols + offset;
                    a0 += Vector256.Load(row);
                    a1 += Vector256.Load(row + w);
                    a2 += Vector256.Load(row + 2 * w);
                    a3 += Vector256.Load(row + 3 * w);
                    a4 += Vector256.Load(row + 4 * w);
                    a5 += Vector256.Load(row + 5 * w);
                    a6 += Vector256.Load(row + 6 * w);
                    a7 += Vector256.Load(row + 7 * w);
                }
                T* y = Y + offset;
                if (Accumulate)
                {
                    a0 += Vector256.Load(y); a1 += Vector256.Load(y + w); a2 += Vector256.Load(y + 2 * w); a3 += Vector256.Load(y + 3 * w);
                    a4 += Vector256.Load(y + 4 * w); a5 += Vector256.Load(y + 5 * w); a6 += Vector256.Load(y + 6 * w); a7 += Vector256.Load(y + 7 * w);
                }
                a0.Store(y); a1.Store(y + w); a2.Store(y + 2 * w); a3.Store(y + 3 * w);
                a4.Store(y + 4 * w); a5.Store(y + 5 * w); a6.Store(y + 6 * w); a7.Store(y + 7 * w);
            }
        }
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
            if (inner == 1)
            {
                // A reduction over a whole contiguous run (a full Sum or Mean, or the last axis): one scalar per run,
                // written or added with one vector pass instead of dim one-element copies.
                var run = y.Slice(o * dim, dim);
                if (accumulate) TensorPrimitives.Add(run, x[o], run);
                else run.Fill(x[o]);
                continue;
            }
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

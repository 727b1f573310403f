using System.Numerics;
using System.Numerics.Tensors;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// The CPU implementation of <see cref="IBackend"/>: GEMM and covariance on the packed SIMD kernels in
/// this folder, elementwise work on System.Numerics.Tensors.TensorPrimitives (vectorised), float32 and
/// float64 through the same generic code. Elementwise kernels live in CpuBackend.*.cs by family.
/// </summary>
internal sealed partial class CpuBackend(Device device) : IBackend
{
    public Device Device { get; } = device;

    public Storage Allocate(DType dtype, int length) => new CpuStorage(Device, dtype, length);

    public void Upload<T>(ReadOnlySpan<T> source, Storage destination, int offset) where T : unmanaged =>
        source.CopyTo(((CpuStorage)destination).Span<T>()[offset..]);

    public void Download<T>(Storage source, int offset, Span<T> destination) where T : unmanaged =>
        ((CpuStorage)source).Span<T>().Slice(offset, destination.Length).CopyTo(destination);

    internal static Span<T> S<T>(Tensor t) where T : unmanaged => ((CpuStorage)t.Storage).Span<T>()[..t.Numel];

    private static bool IsDouble(Tensor t) => t.DType == DType.Float64;

    public void Fill(Tensor x, double value)
    {
        if (IsDouble(x)) S<double>(x).Fill(value);
        else S<float>(x).Fill((float)value);
    }

    public void Copy(Tensor x, Tensor y)
    {
        if (IsDouble(x)) S<double>(x).CopyTo(S<double>(y));
        else S<float>(x).CopyTo(S<float>(y));
    }

    public void Axpby(double alpha, Tensor x, double beta, Tensor y)
    {
        if (IsDouble(x)) ParallelAxpby<double>(alpha, S<double>(x), beta, S<double>(y));
        else ParallelAxpby<float>((float)alpha, S<float>(x), (float)beta, S<float>(y));
    }

    private static void Axpby<T>(T alpha, ReadOnlySpan<T> x, T beta, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.Zero) TensorPrimitives.Multiply(x, alpha, y);
        else
        {
            if (beta != T.One) TensorPrimitives.Multiply(y, beta, y);
            TensorPrimitives.MultiplyAdd(x, alpha, y, y);
        }
    }

    public void Affine(Tensor x, double scale, double shift, Tensor y)
    {
        if (IsDouble(x)) ParallelAffine<double>(S<double>(x), scale, shift, S<double>(y));
        else ParallelAffine<float>(S<float>(x), (float)scale, (float)shift, S<float>(y));
    }

    private static void Affine<T>(ReadOnlySpan<T> x, T scale, T shift, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(x, scale, y);
        if (shift != T.Zero) TensorPrimitives.Add(y, shift, y);
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c) =>
        Gemm(transA, transB, m, n, k, alpha, MatrixView.Of(a, transA ? m : k), MatrixView.Of(b, transB ? k : n), beta, MatrixView.Of(c, n));

    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, MatrixView a, MatrixView b, double beta, MatrixView c)
    {
        a.Check(transA ? k : m, transA ? m : k, nameof(a), "op(A)");
        b.Check(transB ? n : k, transB ? k : n, nameof(b), "op(B)");
        c.Check(m, n, nameof(c), "C");
        if (a.Tensor.DType != c.Tensor.DType || b.Tensor.DType != c.Tensor.DType)
            throw new ArgumentException($"Gemm on views: 'a' is {a.Tensor.DType}, 'b' {b.Tensor.DType}, 'c' {c.Tensor.DType}; they must match", nameof(c));
        if (m == 0 || n == 0) return;
        if (IsDouble(c.Tensor))
            Cpu.Gemm.Dgemm(transA, transB, m, n, k, alpha, S<double>(a.Tensor)[a.Offset..], a.Ld, S<double>(b.Tensor)[b.Offset..], b.Ld,
                beta, S<double>(c.Tensor)[c.Offset..], c.Ld);
        else
            Cpu.Gemm.Sgemm(transA, transB, m, n, k, (float)alpha, S<float>(a.Tensor)[a.Offset..], a.Ld, S<float>(b.Tensor)[b.Offset..], b.Ld,
                (float)beta, S<float>(c.Tensor)[c.Offset..], c.Ld);
    }

    /// <summary>Held tensors are packed once per orientation and shape as GEMM B operands (see
    /// <see cref="Blas.PackedOperandCache"/>).</summary>
    public IDisposable HoldConstant(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var regions = new (nint Start, nint Bytes)[tensors.Count];
        var owners = new Storage[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (t.Backend != (IBackend)this)
                throw new ArgumentException($"HoldConstant: tensor {i} ({t.Name ?? t.Shape.ToString()}) lives on {t.Device}, not on this backend's {Device}", nameof(tensors));
            regions[i] = IsDouble(t) ? Region(S<double>(t)) : Region(S<float>(t));
            owners[i] = t.Storage;
        }
        return Blas.PackedOperandCache.Hold(regions, owners);
    }

    /// <summary>Pool arrays are pinned: the address stays valid for the storage's lifetime.</summary>
    private static unsafe (nint Start, nint Bytes) Region<T>(Span<T> span) where T : unmanaged =>
        ((nint)Pointer(span), (nint)((long)span.Length * sizeof(T)));

    public void Transpose(Tensor x, int rows, int cols, Tensor y)
    {
        if (IsDouble(x)) Transpose(S<double>(x), rows, cols, S<double>(y));
        else Transpose(S<float>(x), rows, cols, S<float>(y));
    }

    private static void Transpose<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> y) where T : unmanaged
    {
        const int tile = 32;
        for (int r0 = 0; r0 < rows; r0 += tile)
            for (int c0 = 0; c0 < cols; c0 += tile)
            {
                int r1 = Math.Min(rows, r0 + tile), c1 = Math.Min(cols, c0 + tile);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        y[c * rows + r] = x[r * cols + c];
            }
    }

    public double Sum(Tensor x) => IsDouble(x) ? TensorPrimitives.Sum(S<double>(x)) : SumInDouble(S<float>(x));

    public double Dot(Tensor x, Tensor y) => IsDouble(x) ? TensorPrimitives.Dot(S<double>(x), S<double>(y)) : DotInDouble(S<float>(x), S<float>(y));

    /// <summary>All pairs in one pass, 1024 elements at a time: each chunk of every tensor is loaded from memory
    /// once and the pairs that share it read it from cache (chunks summed in double, as <see cref="Dot"/>), blocks
    /// split across threads with deterministic partial sums (see CpuBackend.Vectors).</summary>
    public void Dots(IReadOnlyList<Tensor> left, IReadOnlyList<Tensor> right, Span<double> results)
    {
        if (left.Count != right.Count || results.Length < left.Count)
            throw new ArgumentException($"Dots: {left.Count} left and {right.Count} right tensors for {results.Length} results", nameof(right));
        long n = left.Count == 0 ? 0 : left[0].Numel;
        for (int p = 0; p < left.Count; p++)
            if (left[p].Numel != n || right[p].Numel != n || left[p].DType != left[0].DType || right[p].DType != left[0].DType)
            {
                for (int q = 0; q < left.Count; q++) results[q] = Dot(left[q], right[q]);
                return;
            }
        results[..left.Count].Clear();
        if (n == 0) return;
        if (IsDouble(left[0])) ParallelDots<double>(left, right, results);
        else ParallelDots<float>(left, right, results);
    }

    /// <summary>(An empty tensor is all finite; TensorPrimitives answers false for an empty span.) Parameter-sized
    /// tensors are checked in blocks on every thread (see CpuBackend.Vectors).</summary>
    public bool AllFinite(Tensor x) =>
        x.Numel == 0 || (IsDouble(x) ? AllFinite<double>(S<double>(x)) : AllFinite<float>(S<float>(x)));

    /// <summary>Float sums of long vectors lose digits; sum chunks in SIMD float, accumulate chunks in double.</summary>
    internal static double SumInDouble(ReadOnlySpan<float> x)
    {
        const int chunk = 1024;
        double s = 0;
        for (int i = 0; i < x.Length; i += chunk) s += TensorPrimitives.Sum(x.Slice(i, Math.Min(chunk, x.Length - i)));
        return s;
    }

    internal static double DotInDouble(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        const int chunk = 1024;
        double s = 0;
        for (int i = 0; i < x.Length; i += chunk)
        {
            int len = Math.Min(chunk, x.Length - i);
            s += TensorPrimitives.Dot(x.Slice(i, len), y.Slice(i, len));
        }
        return s;
    }

    /// <summary>dst = src, or dst += src when accumulating.</summary>
    private static void Store<T>(ReadOnlySpan<T> src, Span<T> dst, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate) TensorPrimitives.Add(dst, src, dst);
        else src.CopyTo(dst);
    }
}

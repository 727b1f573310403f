using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// The convolution's three products (<see cref="Ops.ConvolutionLowering"/>) a few images at a time. The whole
/// batch's patch matrix is large (the ConvNet's second layer: 800 x 25 088 floats, 80 MB), so building it in one
/// piece sends it through memory five times per step (im2col writes it, the forward GEMM and the weight gradient
/// read it, the input gradient's W^T dY writes its adjoint, col2im reads that). Images are independent columns of
/// the matrix, so each product runs over pieces of a few whole images (<see cref="ConvolutionChunkBytes"/>) that
/// are built, used and overwritten while they are in cache:
/// <code>
/// forward          yc[:, piece] = W im2col(x[piece]) + beta yc[:, piece]     same terms, same order: same bits
/// weight gradient  dW = beta dW + sum over pieces of dyc[:, piece] im2col(x[piece])^T
/// input gradient   dx[piece] (+)= col2im(W^T dyc[:, piece])
/// </code>
/// The forward's and input gradient's entries are the whole-batch lowering's exactly (each is a sum over the same
/// C kh kw or Cout terms); the weight gradient's sum over patches is split at the pieces' boundaries (rounding
/// differs from the whole-batch GEMM's by float epsilon). The backward pass rebuilds the patches from x instead of
/// keeping the forward's (the copy from a cached piece costs less than holding 80 MB until the backward pass).
/// </summary>
internal sealed partial class CpuBackend
{
    /// <summary>The target size of one piece of the patch matrix: it and its product's other operands stay in the
    /// shared L3 (32 MB on the Zen 3s here, 1 MB of L2 per core) while the GEMM uses it.</summary>
    internal static int ConvolutionChunkBytes { get; set; } = 4 << 20;

    /// <summary>Whole images per piece: as many as fit <see cref="ConvolutionChunkBytes"/> (at least 1), a multiple of
    /// the thread count when more than one (im2col and col2im split a piece by image), and the batch divided into
    /// pieces of (almost) equal size.</summary>
    internal static int ImagesPerPiece(WindowGeometry g, int elementBytes)
    {
        long perImage = Math.Max(1L, (long)g.PatchSize * g.Locations * elementBytes);
        int images = (int)Math.Clamp(ConvolutionChunkBytes / perImage, 1, Math.Max(1, g.Batch));
        int threads = CpuParallel.MaxThreads;
        if (images >= threads) images = images / threads * threads;
        int pieces = (g.Batch + images - 1) / images;
        return Math.Max(1, (g.Batch + pieces - 1) / pieces);
    }

    public void ConvolutionForward(Tensor x, WindowGeometry g, Tensor weight, double beta, Tensor yc)
    {
        CheckProduct("ConvolutionForward", x, g, weight, nameof(weight), yc, nameof(yc));
        if (IsDouble(x)) PiecewiseForward<double>(S<double>(x), g, S<double>(weight), weight.Shape[0], beta, S<double>(yc));
        else PiecewiseForward<float>(S<float>(x), g, S<float>(weight), weight.Shape[0], (float)beta, S<float>(yc));
    }

    public void ConvolutionWeightGradient(Tensor x, WindowGeometry g, Tensor dyc, double beta, Tensor dw)
    {
        CheckProduct("ConvolutionWeightGradient", x, g, dw, nameof(dw), dyc, nameof(dyc));
        if (IsDouble(x)) PiecewiseWeightGradient<double>(S<double>(x), g, S<double>(dyc), dw.Shape[0], beta, S<double>(dw));
        else PiecewiseWeightGradient<float>(S<float>(x), g, S<float>(dyc), dw.Shape[0], (float)beta, S<float>(dw));
    }

    public void ConvolutionInputGradient(Tensor weight, WindowGeometry g, Tensor dyc, Tensor dx, bool accumulate)
    {
        CheckProduct("ConvolutionInputGradient", dx, g, weight, nameof(weight), dyc, nameof(dyc));
        if (IsDouble(dx)) PiecewiseInputGradient<double>(S<double>(weight), weight.Shape[0], g, S<double>(dyc), S<double>(dx), accumulate);
        else PiecewiseInputGradient<float>(S<float>(weight), weight.Shape[0], g, S<float>(dyc), S<float>(dx), accumulate);
    }

    /// <summary>Same dtype throughout; the image holds g's input, the [Cout, PatchSize] matrix and the [Cout, PatchCount]
    /// channel-major one have their sizes (Cout from the first).</summary>
    private static void CheckProduct(string op, Tensor image, WindowGeometry g, Tensor filters, string filtersName, Tensor channelMajor, string channelMajorName)
    {
        if (filters.DType != image.DType || channelMajor.DType != image.DType)
            throw new ArgumentException($"{op}: the image is {image.DType}, '{filtersName}' {filters.DType}, '{channelMajorName}' {channelMajor.DType}; they must match", filtersName);
        if (image.Numel != g.InputNumel)
            throw new ArgumentException($"{op} over {g}: the image has shape {image.Shape} ({image.Numel} elements), the geometry needs {g.InputNumel}", nameof(image));
        if (filters.Rank < 1 || filters.Numel != (long)filters.Shape[0] * g.PatchSize)
            throw new ArgumentException($"{op} over {g}: '{filtersName}' has shape {filters.Shape}, expected [Cout, {g.PatchSize}] (or [Cout, {g.Channels}, {g.KernelH}, {g.KernelW}])", filtersName);
        if (channelMajor.Numel != (long)filters.Shape[0] * g.PatchCount)
            throw new ArgumentException($"{op} over {g}: '{channelMajorName}' has shape {channelMajor.Shape}, expected {filters.Shape[0]} x {g.PatchCount} elements ([Cout, N T])", channelMajorName);
    }

    /// <summary>Piece i of the batch: images [First, First + Geometry.Batch), whose patches are columns [Column, Column + Columns)
    /// of the whole batch's patch matrix (N T columns in all).</summary>
    private readonly record struct Piece(int First, int Column, int Columns, WindowGeometry Geometry);

    /// <summary>The pieces of a batch (<see cref="ImagesPerPiece"/> images each, the last possibly fewer) and
    /// the scratch matrix one piece's patches fill ([PatchSize, Columns], row stride Columns).</summary>
    private readonly ref struct PiecePlan<T> where T : unmanaged
    {
        private readonly WindowGeometry _g;
        public readonly int PerPiece, Count, ImageSize;
        public readonly Span<T> Patches;

        public PiecePlan(WindowGeometry g)
        {
            _g = g;
            PerPiece = ImagesPerPiece(g, Unsafe.SizeOf<T>());
            Count = (g.Batch + PerPiece - 1) / PerPiece;
            ImageSize = g.Channels * g.Height * g.Width;
            Patches = Scratch<T>.Patches(g.PatchSize * PerPiece * g.Locations);
        }

        public Piece this[int i]
        {
            get
            {
                int first = i * PerPiece, images = Math.Min(PerPiece, _g.Batch - first);
                return new Piece(first, first * _g.Locations, images * _g.Locations, _g with { Batch = images });
            }
        }

        /// <summary>The piece's images in an NCHW batch.</summary>
        public Span<T> Images(Span<T> batch, in Piece p) => batch.Slice(p.First * ImageSize, p.Geometry.Batch * ImageSize);
    }

    private static void PiecewiseForward<T>(Span<T> x, WindowGeometry g, Span<T> w, int cout, T beta, Span<T> yc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plan = new PiecePlan<T>(g);
        for (int i = 0; i < plan.Count; i++)
        {
            var p = plan[i];
            Patches<T>(plan.Images(x, p), p.Geometry, plan.Patches, accumulate: false, adjoint: false);
            // yc[:, piece] (row stride N T) = W cols_piece + beta yc[:, piece]
            Cpu.Gemm.Run(false, false, cout, p.Columns, g.PatchSize, T.One, w, g.PatchSize, plan.Patches, p.Columns, beta, yc[p.Column..], g.PatchCount, 0);
        }
    }

    private static void PiecewiseWeightGradient<T>(Span<T> x, WindowGeometry g, Span<T> dyc, int cout, T beta, Span<T> dw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.Batch == 0)
        {
            // No patches: dW = beta dW (an empty sum, as the whole-batch GEMM with k = 0 gives).
            var filters = dw[..(cout * g.PatchSize)];
            if (beta == T.Zero) filters.Clear();
            else TensorPrimitives.Multiply(filters, beta, filters);
            return;
        }
        var plan = new PiecePlan<T>(g);
        for (int i = 0; i < plan.Count; i++)
        {
            var p = plan[i];
            Patches<T>(plan.Images(x, p), p.Geometry, plan.Patches, accumulate: false, adjoint: false);
            // dW = dyc[:, piece] cols_piece^T + (first piece ? beta : 1) dW
            Cpu.Gemm.Run(false, true, cout, g.PatchSize, p.Columns, T.One, dyc[p.Column..], g.PatchCount, plan.Patches, p.Columns,
                i == 0 ? beta : T.One, dw, g.PatchSize, 0);
        }
    }

    private static void PiecewiseInputGradient<T>(Span<T> w, int cout, WindowGeometry g, Span<T> dyc, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plan = new PiecePlan<T>(g);
        for (int i = 0; i < plan.Count; i++)
        {
            var p = plan[i];
            // dcols_piece = W^T dyc[:, piece], then added back into the piece's images
            Cpu.Gemm.Run(true, false, g.PatchSize, p.Columns, cout, T.One, w, g.PatchSize, dyc[p.Column..], g.PatchCount, T.Zero, plan.Patches, p.Columns, 0);
            Patches<T>(plan.Images(dx, p), p.Geometry, plan.Patches, accumulate, adjoint: true);
        }
    }
}

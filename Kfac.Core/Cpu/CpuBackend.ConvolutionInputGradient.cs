using System.Numerics;
using System.Runtime.CompilerServices;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// The convolution's input gradient, dx (+)= col2im(W^T dyc) (<see cref="Ops.ConvolutionLowering"/>), a few images at a
/// time. W^T dyc for the whole batch is as large as the patch matrix (the ConvNet's second layer: 800 x 25 088 floats,
/// 80 MB) and only feeds col2im, so building it whole sends it through memory twice (the GEMM writes it, col2im reads
/// it back). Images are independent columns, so the product runs over pieces of a few whole images
/// (<see cref="ConvolutionPieceBytes"/>), each added back into its images while it is in cache:
/// <code>
/// for each piece:  dcols = W^T dyc[:, piece];  dx[piece] (+)= col2im(dcols)
/// </code>
/// Every entry is the whole-batch lowering's exactly (the same Cout terms per entry of dcols, the same additions in
/// the same order per input element). The forward and the weight gradient keep one whole-batch patch matrix: the
/// forward builds it and the weight gradient reads it, and building it in pieces in both (stop 48) made the ConvNet's
/// products 5-11% faster in isolation but the whole step no faster, with more slow outliers, on the shared Zen 3s
/// (the pieces must stay in the L3 that other tenants share, and the weight gradient had to rebuild them).
/// </summary>
internal sealed partial class CpuBackend
{
    /// <summary>The target size of one piece of W^T dyc: it stays in the shared L3 (32 MB on the Zen 3s here, 512 KB of L2
    /// per core) from the GEMM that writes it to the col2im that reads it.</summary>
    internal static int ConvolutionPieceBytes { get; set; } = 4 << 20;

    /// <summary>Whole images per piece: as many as fit <see cref="ConvolutionPieceBytes"/> (at least 1), a multiple of
    /// the thread count when more than one (col2im splits a piece by image), and the batch divided into
    /// pieces of (almost) equal size.</summary>
    internal static int ImagesPerPiece(WindowGeometry g, int elementBytes)
    {
        if (g.Batch <= 1) return 1;
        long perImage = Math.Max(1L, (long)g.PatchSize * g.Locations * elementBytes);
        int images = (int)Math.Clamp(ConvolutionPieceBytes / perImage, 1, g.Batch);
        int threads = CpuParallel.MaxThreads;
        if (images >= threads) images = images / threads * threads;
        int pieces = (g.Batch + images - 1) / images;
        return Math.Max(1, (g.Batch + pieces - 1) / pieces);
    }

    public void ConvolutionInputGradient(Tensor weight, WindowGeometry g, Tensor dyc, Tensor dx, bool accumulate)
    {
        const string op = "ConvolutionInputGradient";
        if (weight.DType != dx.DType || dyc.DType != dx.DType)
            throw new ArgumentException($"{op}: 'weight' is {weight.DType}, 'dyc' {dyc.DType}, 'dx' {dx.DType}; they must match", nameof(weight));
        if (dx.Numel != g.InputNumel)
            throw new ArgumentException($"{op} over {g}: 'dx' has shape {dx.Shape} ({dx.Numel} elements), the geometry's input has {g.InputNumel}", nameof(dx));
        if (weight.Rank < 1 || weight.Numel != (long)weight.Shape[0] * g.PatchSize)
            throw new ArgumentException($"{op} over {g}: 'weight' has shape {weight.Shape}, expected [Cout, {g.PatchSize}] (or [Cout, {g.Channels}, {g.KernelH}, {g.KernelW}])", nameof(weight));
        int cout = weight.Shape[0];
        if (dyc.Numel != (long)cout * g.PatchCount)
            throw new ArgumentException($"{op} over {g}: 'dyc' has shape {dyc.Shape}, expected {cout} x {g.PatchCount} elements ([Cout, N T])", nameof(dyc));
        if (IsDouble(dx)) PiecewiseInputGradient<double>(S<double>(weight), cout, g, S<double>(dyc), S<double>(dx), accumulate);
        else PiecewiseInputGradient<float>(S<float>(weight), cout, g, S<float>(dyc), S<float>(dx), accumulate);
    }

    private static void PiecewiseInputGradient<T>(Span<T> w, int cout, WindowGeometry g, Span<T> dyc, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int per = ImagesPerPiece(g, Unsafe.SizeOf<T>()), image = g.Channels * g.Height * g.Width, t = g.Locations;
        var dcols = Scratch<T>.ConvolutionPiece(g.PatchSize * per * t);
        for (int first = 0; first < g.Batch; first += per)
        {
            // Images [first, first + images): columns [first T, (first + images) T) of the whole batch's W^T dyc.
            int images = Math.Min(per, g.Batch - first), columns = images * t;
            // dcols_piece = W^T dyc[:, piece] (row stride columns), then added back into the piece's images
            Cpu.Gemm.Run(true, false, g.PatchSize, columns, cout, T.One, w, g.PatchSize, dyc[(first * t)..], g.PatchCount, T.Zero, dcols, columns, 0);
            Patches<T>(dx.Slice(first * image, images * image), g with { Batch = images }, dcols, accumulate, adjoint: true);
        }
    }
}

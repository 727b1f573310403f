using Kfac.Cpu;
using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>
/// The CPU backend's convolution products over pieces of a few images (CpuBackend.ConvolutionProducts.cs) against the
/// whole batch's patch matrix (<see cref="ConvolutionLowering"/>), with the piece size forced down so a batch splits
/// into several pieces and a ragged last one: the forward product and the input gradient are the same bits (each
/// entry is the same sum in the same order); the weight gradient's sum over patches is split at the pieces'
/// boundaries, so it agrees to rounding. Both precisions; shapes with batch 1, odd sizes, strides and padding.
/// </summary>
[NonParallelizable]
public class ConvolutionPiecesTests
{
    private static Tensor Random(int seed, DType dtype, params int[] shape) =>
        Tensor.RandN(new Shape(shape), new System.Random(seed), dtype: dtype);

    private static Tensor Copy(Tensor t)
    {
        var copy = Tensor.Empty(t.Shape, t.DType);
        t.Backend.Copy(t, copy);
        return copy;
    }

    /// <summary>The values widened to double (exactly, so bit equality of floats is still tested).</summary>
    private static double[] Values(Tensor t) => t.To(DType.Float64).ToArray<double>();

    [TestCase(7, 3, 6, 5, 4, 3, 2, 2, 1, 1, 2, 1)]     // pieces of 2 images (2 threads) of 7: a ragged last piece
    [TestCase(5, 2, 9, 9, 3, 5, 5, 1, 1, 2, 2, 1)]     // 'same' padding, im2col's one-copy path
    [TestCase(1, 1, 4, 7, 2, 2, 3, 1, 2, 0, 1, 1)]     // a single image
    [TestCase(16, 4, 7, 7, 5, 3, 3, 1, 1, 1, 1, 30000)] // several images per piece (4 in float, 2 in double)
    public void PiecesGiveTheWholeBatchProducts(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int pieceBytes)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var x = Random(1, dtype, n, cin, h, w);
            var g = WindowGeometry.Of("test", x, kh, kw, sh, sw, ph, pw);
            var wt = Random(2, dtype, cout, g.PatchSize);
            var dyc = Random(3, dtype, cout, g.PatchCount);
            var backend = x.Backend;
            var yc0 = Random(4, dtype, cout, g.PatchCount);
            var dw0 = Random(5, dtype, cout, g.PatchSize);
            var dx0 = Random(6, dtype, n, cin, h, w);
            foreach (bool add in new[] { false, true })
            {
                double beta = add ? 1 : 0;
                Tensor yWhole = Copy(yc0), dwWhole = Copy(dw0), dxWhole = Copy(dx0);
                ConvolutionLowering.Forward(backend, x, g, wt, beta, yWhole);
                ConvolutionLowering.WeightGradient(backend, x, g, dyc, beta, dwWhole);
                ConvolutionLowering.InputGradient(backend, wt, g, dyc, dxWhole, add);

                Tensor yPieces = Copy(yc0), dwPieces = Copy(dw0), dxPieces = Copy(dx0);
                int pieces;
                var previous = CpuBackend.ConvolutionChunkBytes;
                CpuBackend.ConvolutionChunkBytes = pieceBytes;
                try
                {
                    int per = CpuBackend.ImagesPerPiece(g, dtype == DType.Float64 ? 8 : 4);
                    pieces = (n + per - 1) / per;
                    backend.ConvolutionForward(x, g, wt, beta, yPieces);
                    backend.ConvolutionWeightGradient(x, g, dyc, beta, dwPieces);
                    backend.ConvolutionInputGradient(wt, g, dyc, dxPieces, add);
                }
                finally { CpuBackend.ConvolutionChunkBytes = previous; }
                if (n > 2) Assert.That(pieces, Is.GreaterThan(1), "the case must split the batch");

                string what = $"{dtype}, beta {beta}, {pieces} pieces";
                Assert.That(Values(yPieces), Is.EqualTo(Values(yWhole)), $"forward: same bits ({what})");
                Assert.That(Values(dxPieces), Is.EqualTo(Values(dxWhole)), $"input gradient: same bits ({what})");
                // The weight gradient sums N T terms of size ~1 (|dyc x| ~ 1): a split sum differs by a few ulps of the total.
                double tol = (dtype == DType.Float64 ? 1e-13 : 2e-5) * Math.Sqrt(g.PatchCount);
                Assert.That(Values(dwPieces), Is.EqualTo(Values(dwWhole)).Within(tol), $"weight gradient ({what})");
            }
        }
    }

    [Test]
    public void PiecesAreWholeImagesInEqualShares()
    {
        var previous = CpuBackend.ConvolutionChunkBytes;
        try
        {
            // 800 x 196 floats per image (the ConvNet's second layer): 627 200 bytes.
            var g = new WindowGeometry(128, 32, 14, 14, 5, 5, 1, 1, 2, 2);
            foreach (int bytes in new[] { 1, 700_000, 2 << 20, 4 << 20, 6 << 20, 1 << 30 })
            {
                CpuBackend.ConvolutionChunkBytes = bytes;
                int per = CpuBackend.ImagesPerPiece(g, sizeof(float));
                int pieces = (g.Batch + per - 1) / per;
                Assert.That(per, Is.InRange(1, g.Batch), $"{bytes} bytes");
                Assert.That((long)per * 627_200, Is.LessThanOrEqualTo(Math.Max(bytes, 627_200)), $"{bytes} bytes: {per} images fit");
                Assert.That(pieces * per - g.Batch, Is.LessThan(pieces), $"{bytes} bytes: {pieces} pieces of {per} differ by at most one image");
            }
            CpuBackend.ConvolutionChunkBytes = 1 << 30;
            Assert.That(CpuBackend.ImagesPerPiece(g, sizeof(float)), Is.EqualTo(128), "a large budget takes the batch whole");
        }
        finally { CpuBackend.ConvolutionChunkBytes = previous; }
    }

    [Test]
    public void MismatchedOperandsNameTheArgument()
    {
        var x = Random(1, DType.Float32, 2, 3, 5, 5);
        var g = WindowGeometry.Of("test", x, 3, 3, 1, 1, 1, 1);
        var backend = x.Backend;
        var wrongWeight = Tensor.Zeros(new Shape(4, g.PatchSize + 1));
        var ex = Assert.Throws<ArgumentException>(() => backend.ConvolutionForward(x, g, wrongWeight, 0, Tensor.Zeros(new Shape(4, g.PatchCount))));
        Assert.That(ex!.ParamName, Is.EqualTo("weight"));
        Assert.That(ex.Message, Does.Contain("[4, 28]").And.Contain("27"));
        var wrongDyc = Tensor.Zeros(new Shape(4, g.PatchCount - 1));
        ex = Assert.Throws<ArgumentException>(() => backend.ConvolutionWeightGradient(x, g, wrongDyc, 0, Tensor.Zeros(new Shape(4, g.PatchSize))));
        Assert.That(ex!.ParamName, Is.EqualTo("dyc"));
        ex = Assert.Throws<ArgumentException>(() => backend.ConvolutionInputGradient(Tensor.Zeros(new Shape(4, g.PatchSize), DType.Float64), g,
            Tensor.Zeros(new Shape(4, g.PatchCount)), Tensor.Zeros(x.Shape), false));
        Assert.That(ex!.Message, Does.Contain("Float64"));
    }
}

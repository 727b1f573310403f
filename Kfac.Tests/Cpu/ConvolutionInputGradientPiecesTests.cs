using Kfac.Cpu;
using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>
/// The CPU backend's convolution input gradient over pieces of a few images (CpuBackend.ConvolutionInputGradient.cs)
/// against the whole batch's W^T dY (<see cref="ConvolutionLowering"/>), with the piece size forced down so a batch
/// splits into several pieces and a ragged last one: the same bits (each entry of W^T dY is the same sum of Cout terms,
/// each input element receives the same additions in the same order). Both precisions; shapes with batch 1, odd sizes,
/// strides and padding.
/// </summary>
[NonParallelizable]
public class ConvolutionInputGradientPiecesTests
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

    [TestCase(7, 3, 6, 5, 4, 3, 2, 2, 1, 1, 2, 1)]      // pieces of 2 images (2 threads) of 7: a ragged last piece
    [TestCase(5, 2, 9, 9, 3, 5, 5, 1, 1, 2, 2, 1)]      // 'same' padding
    [TestCase(1, 1, 4, 7, 2, 2, 3, 1, 2, 0, 1, 1)]      // a single image
    [TestCase(16, 4, 7, 7, 5, 3, 3, 1, 1, 1, 1, 30000)] // several images per piece (4 in float, 2 in double)
    public void PiecesGiveTheWholeBatchInputGradient(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int pieceBytes)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var x = Random(1, dtype, n, cin, h, w);
            var g = WindowGeometry.Of("test", x, kh, kw, sh, sw, ph, pw);
            var wt = Random(2, dtype, cout, g.PatchSize);
            var dyc = Random(3, dtype, cout, g.PatchCount);
            var backend = x.Backend;
            var dx0 = Random(6, dtype, n, cin, h, w);
            foreach (bool accumulate in new[] { false, true })
            {
                var whole = Copy(dx0);
                ConvolutionLowering.InputGradient(backend, wt, g, dyc, whole, accumulate);
                var pieces = Copy(dx0);
                int count;
                var previous = CpuBackend.ConvolutionPieceBytes;
                CpuBackend.ConvolutionPieceBytes = pieceBytes;
                try
                {
                    int per = CpuBackend.ImagesPerPiece(g, dtype == DType.Float64 ? 8 : 4);
                    count = (n + per - 1) / per;
                    backend.ConvolutionInputGradient(wt, g, dyc, pieces, accumulate);
                }
                finally { CpuBackend.ConvolutionPieceBytes = previous; }
                if (n > 2) Assert.That(count, Is.GreaterThan(1), "the case must split the batch");
                Assert.That(Values(pieces), Is.EqualTo(Values(whole)), $"same bits ({dtype}, accumulate {accumulate}, {count} pieces)");
            }
        }
    }

    [Test]
    public void PiecesAreWholeImagesInEqualShares()
    {
        var previous = CpuBackend.ConvolutionPieceBytes;
        try
        {
            // 800 x 196 floats per image (the ConvNet's second layer): 627 200 bytes.
            var g = new WindowGeometry(128, 32, 14, 14, 5, 5, 1, 1, 2, 2);
            foreach (int bytes in new[] { 1, 700_000, 2 << 20, 4 << 20, 6 << 20, 1 << 30 })
            {
                CpuBackend.ConvolutionPieceBytes = bytes;
                int per = CpuBackend.ImagesPerPiece(g, sizeof(float));
                int pieces = (g.Batch + per - 1) / per;
                Assert.That(per, Is.InRange(1, g.Batch), $"{bytes} bytes");
                Assert.That((long)per * 627_200, Is.LessThanOrEqualTo(Math.Max(bytes, 627_200)), $"{bytes} bytes: {per} images fit");
                Assert.That(pieces * per - g.Batch, Is.LessThan(pieces), $"{bytes} bytes: {pieces} pieces of {per} differ by at most one image");
            }
            CpuBackend.ConvolutionPieceBytes = 1 << 30;
            Assert.That(CpuBackend.ImagesPerPiece(g, sizeof(float)), Is.EqualTo(128), "a large budget takes the batch whole");
        }
        finally { CpuBackend.ConvolutionPieceBytes = previous; }
    }

    [Test]
    public void AnEmptyBatchLeavesNothingToDo()
    {
        var g = new WindowGeometry(0, 2, 5, 5, 3, 3, 1, 1, 1, 1);
        Assert.That(CpuBackend.ImagesPerPiece(g, sizeof(float)), Is.EqualTo(1));
        var dx = Tensor.Zeros(new Shape(0, 2, 5, 5));
        Assert.DoesNotThrow(() => dx.Backend.ConvolutionInputGradient(Tensor.Zeros(new Shape(3, g.PatchSize)), g,
            Tensor.Zeros(new Shape(3, 0)), dx, false));
    }

    [Test]
    public void MismatchedOperandsNameTheArgument()
    {
        var x = Random(1, DType.Float32, 2, 3, 5, 5);
        var g = WindowGeometry.Of("test", x, 3, 3, 1, 1, 1, 1);
        var backend = x.Backend;
        var dyc = Tensor.Zeros(new Shape(4, g.PatchCount));
        var ex = Assert.Throws<ArgumentException>(() => backend.ConvolutionInputGradient(Tensor.Zeros(new Shape(4, g.PatchSize + 1)), g, dyc, Tensor.Zeros(x.Shape), false));
        Assert.That(ex!.ParamName, Is.EqualTo("weight"));
        Assert.That(ex.Message, Does.Contain("[4, 28]").And.Contain("27"));
        ex = Assert.Throws<ArgumentException>(() => backend.ConvolutionInputGradient(Tensor.Zeros(new Shape(4, g.PatchSize)), g,
            Tensor.Zeros(new Shape(4, g.PatchCount - 1)), Tensor.Zeros(x.Shape), false));
        Assert.That(ex!.ParamName, Is.EqualTo("dyc"));
        ex = Assert.Throws<ArgumentException>(() => backend.ConvolutionInputGradient(Tensor.Zeros(new Shape(4, g.PatchSize), DType.Float64), g,
            dyc, Tensor.Zeros(x.Shape), false));
        Assert.That(ex!.Message, Does.Contain("Float64"));
        ex = Assert.Throws<ArgumentException>(() => backend.ConvolutionInputGradient(Tensor.Zeros(new Shape(4, g.PatchSize)), g,
            dyc, Tensor.Zeros(new Shape(2, 3, 5, 4)), false));
        Assert.That(ex!.ParamName, Is.EqualTo("dx"));
    }
}

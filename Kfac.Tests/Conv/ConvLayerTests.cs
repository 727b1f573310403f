using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Conv;

/// <summary>The convolution, pooling and batch-norm layers in networks: gradients end to end, the curvature tags
/// they record, and one K-FAC optimizer training a network that mixes all of them with dense layers.</summary>
public class ConvLayerTests
{
    private static Sequential SmallConvNet(DType dtype, int seed = 1) => new(
        new Conv2d(2, 3, 3, padding: 1, rng: new System.Random(seed), dtype: dtype),
        new BatchNorm(3, dtype: dtype), new Tanh(),
        new MaxPool2d(2),
        new Conv2d(3, 2, (2, 1), (1, 1), (0, 0), rng: new System.Random(seed + 1), dtype: dtype), new Sigmoid(),
        new AvgPool2d(kernel: 1, stride: 1),
        new Flatten(),
        new Dense(2 * 1 * 2, 3, rng: new System.Random(seed + 2), dtype: dtype));

    [Test]
    public void NetworkGradientsAndJvpMatchFiniteDifferences()
    {
        var net = SmallConvNet(DType.Float64);
        var x = Tensor.RandN(new Shape(3, 2, 4, 4), new System.Random(2), dtype: DType.Float64);
        var ps = net.Parameters().ToArray();
        foreach (var p in ps) p.RequiresGrad = false;
        var r = GradCheck.Run(inputs => net.Forward(inputs[0]), [x, .. ps]);
        Assert.That(r.Passed(1e-6), Is.True, $"gradient error {r.MaxGradientError:G3}, jvp error {r.MaxJvpError:G3}: {r.Detail}");
    }

    [Test]
    public void LayersRecordTheirTagsInForwardOrder()
    {
        var net = SmallConvNet(DType.Float32);
        var recorder = new CurvatureRecorder();
        using (recorder.Activate()) net.Forward(Tensor.RandN(new Shape(2, 2, 4, 4), new System.Random(3)));
        Assert.That(recorder.Captures.Select(c => c.Tag.GetType().Name), Is.EqualTo(new[] { "ConvTag", "BatchNormTag", "ConvTag", "DenseTag" }));
        var conv = (Conv2d)net[0];
        Assert.That(conv.Tag.InputDim, Is.EqualTo(2 * 9 + 1));
        Assert.That(recorder.Captures[0].Output.Shape, Is.EqualTo(new Shape(2, 3, 4, 4)));
        Assert.That(recorder.Captures[1].Input.Shape, Is.EqualTo(new Shape(2, 3, 4, 4)), "batch norm records xhat");
    }

    [Test]
    public void Conv2dLayerMatchesTheOpAndNamesItsParameters()
    {
        var conv = new Conv2d(3, 4, 3, stride: 2, padding: 1, dtype: DType.Float64);
        var x = Tensor.RandN(new Shape(2, 3, 5, 5), new System.Random(4), dtype: DType.Float64);
        var expected = ConvolutionOps.Conv2d(x, conv.Weight, conv.Bias, 2, 1).ToArray<double>();
        Assert.That(conv.Forward(x).ToArray<double>(), Is.EqualTo(expected));
        Assert.That(conv.NamedParameters().Select(p => (p.Name, p.Parameter.Shape.ToString())),
            Is.EqualTo(new[] { ("weight", "[4, 3, 3, 3]"), ("bias", "[4]") }));
        Assert.That(() => conv.Forward(Tensor.Zeros(new Shape(2, 2, 5, 5), DType.Float64)),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("[2, 2, 5, 5]"));
        Assert.That(() => new Conv2d(3, 4, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    /// <summary>Four classes: which quadrant of an 8x8 image holds a bright blob, plus noise.</summary>
    private static (Tensor X, Tensor T) QuadrantData(int m, int seed)
    {
        var rng = new System.Random(seed);
        var x = new float[m * 64];
        var labels = new int[m];
        for (int i = 0; i < m; i++)
        {
            int label = rng.Next(4);
            labels[i] = label;
            int top = label / 2 * 4, left = label % 2 * 4;
            for (int p = 0; p < 64; p++) x[i * 64 + p] = (float)(0.3 * Kfac.Sampling.Gaussian.Sample(rng));
            for (int r = 1; r < 3; r++)
                for (int c = 1; c < 3; c++) x[i * 64 + (top + r) * 8 + left + c] += 1.5f;
        }
        return (Tensor.FromArray(x, m, 1, 8, 8), SoftmaxOps.OneHot(labels, 4));
    }

    [Test]
    public void KfacTrainsAConvBatchNormPoolDenseNetwork()
    {
        var (x, t) = QuadrantData(64, 5);
        var net = new Sequential(
            new Conv2d(1, 4, 3, padding: 1, rng: new System.Random(6)), new BatchNorm(4), new Relu(), new MaxPool2d(2),
            new Conv2d(4, 4, 3, padding: 1, rng: new System.Random(7)), new Relu(), new AvgPool2d(2),
            new Flatten(), new Dense(4 * 2 * 2, 4, rng: new System.Random(8)));
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1, InverseInterval = 5 });
        var losses = new List<double>();
        for (int step = 0; step < 15; step++)
        {
            using var scope = TensorScope.Begin();
            var r = kfac.Step(net.Forward, x, t);
            Assert.That(r.Rejected, Is.False, r.RejectionReason);
            losses.Add(r.Loss);
        }
        TestContext.Out.WriteLine($"loss {losses[0]:F4} -> {losses[^1]:F4}");
        Assert.That(kfac.Blocks.Select(b => b.GetType().Name), Is.EqualTo(new[] { "KfcBlock", "FullBlock", "KfcBlock", "KroneckerFactoredBlock" }));
        Assert.That(losses[^1], Is.LessThan(0.5 * losses[0]));
    }

    /// <summary>KFC and batch-norm block state (factors, inverses, T, pi) survives export/import: a resumed run
    /// continues identically (the model's state dict carries the running statistics).</summary>
    [Test]
    public void KfacStateOfAConvNetworkResumesIdentically()
    {
        var (x, t) = QuadrantData(32, 9);
        Sequential Net() => new(
            new Conv2d(1, 3, 3, stride: 2, rng: new System.Random(10)), new BatchNorm(3, blockKind: ParameterBlockKind.Diagonal), new Relu(),
            new Flatten(), new Dense(3 * 3 * 3, 4, rng: new System.Random(11)));
        var options = new KfacOptions { InitialLambda = 1, InverseInterval = 3, LambdaInterval = 2, GammaInterval = 4 };
        var a = Net();
        var kfacA = new KfacOptimizer(a.Parameters(), new SoftmaxCrossEntropy(), options);
        for (int s = 0; s < 4; s++) using (TensorScope.Begin()) kfacA.Step(a.Forward, x, t);
        Assert.That(kfacA.Blocks.Select(b => b.GetType().Name), Is.EqualTo(new[] { "KfcBlock", "DiagonalBlock", "KroneckerFactoredBlock" }));
        using var saved = kfacA.ExportState();
        var b = Net();
        b.LoadStateDict(a.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone()));
        var kfacB = new KfacOptimizer(b.Parameters(), new SoftmaxCrossEntropy(), options);
        kfacB.ImportState(saved);
        for (int s = 0; s < 5; s++)
        {
            KfacStepResult ra, rb;
            using (TensorScope.Begin()) ra = kfacA.Step(a.Forward, x, t);
            using (TensorScope.Begin()) rb = kfacB.Step(b.Forward, x, t);
            Assert.That(rb.Loss, Is.EqualTo(ra.Loss), $"step {s}");
        }
        foreach (var (pa, pb) in a.Parameters().Zip(b.Parameters()))
            Assert.That(pb.ToArray<float>(), Is.EqualTo(pa.ToArray<float>()));
    }

    [Test]
    public void ConvNetModelTakesFlatImagesAndRecordsItsLayers()
    {
        var net = ConvNet.Create(batchNorm: true, seed: 1);
        var recorder = new CurvatureRecorder();
        Tensor y;
        using (recorder.Activate()) y = net.Forward(Tensor.Rand(new Shape(2, 784), new System.Random(12)));
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 10)));
        Assert.That(recorder.Captures.Select(c => c.Tag.GetType().Name),
            Is.EqualTo(new[] { "ConvTag", "BatchNormTag", "ConvTag", "BatchNormTag", "DenseTag", "BatchNormTag", "DenseTag" }));
        Assert.That(((BatchNormTag)recorder.Captures[5].Tag).BlockKind, Is.EqualTo(ParameterBlockKind.Diagonal));
        // conv 5x5x1x32 + b, conv 5x5x32x64 + b, dense 3136x1024 + b, dense 1024x10 + b
        Assert.That(ConvNet.Create().ParameterCount(), Is.EqualTo(832 + 51264 + 3212288 + 10250));
        Assert.That(() => new Unflatten(1, 28, 28).Forward(Tensor.Zeros(new Shape(2, 783))),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("[2, 783]"));
    }
}

using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Onnx;
using Kfac.Onnx.Proto;
using Kfac.Tensors;
using Kfac.Tests.Data;
using NUnit.Framework;

namespace Kfac.Tests.Onnx;

/// <summary>Every exported model runs in ONNX Runtime and reproduces our evaluation-mode outputs to 1e-5
/// (|ours - ORT| &lt;= 1e-5 max(1, |ours|) per element; float32 models, so this is ~100 ulps of the sums).</summary>
public class OnnxExportTests
{
    private const double Tolerance = 1e-5;

    [Test]
    public void MlpWithEveryActivationMatchesOnnxRuntime()
    {
        var rng = new System.Random(3);
        var net = new Sequential(
            new Dense(6, 8, rng: rng), new Tanh(),
            new Dense(8, 5, rng: rng), new Sigmoid(),
            new Dense(5, 4, bias: false, rng: rng), new Softplus(),
            new Dense(4, 7, rng: rng), new Relu(), new Identity(),
            new Dense(7, 3, rng: rng));
        OnnxRuntimeOracle.Randomize(net, 4, scale: 0.8);
        Assert.That(OnnxRuntimeOracle.MaxRelativeError(net, [6], batch: 9, seed: 5), Is.LessThanOrEqualTo(Tolerance));
    }

    [Test]
    public void ConvNetWithPoolingAndBatchNormMatchesOnnxRuntime()
    {
        var rng = new System.Random(7);
        var net = new Sequential(
            new Unflatten(1, 12, 12),
            new Conv2d(1, 4, 3, padding: 1, rng: rng), new BatchNorm(4), new Relu(),
            new MaxPool2d(3, stride: 2, padding: 1),                                    // 12 -> 6
            new Conv2d(4, 6, 3, stride: 2, padding: 1, bias: false, rng: rng),          // 6 -> 3
            new BatchNorm(6, eps: 1e-3, affine: false), new Tanh(),
            new AvgPool2d(3, stride: 1, padding: 1),                                    // zero padding counted
            new Flatten(),
            new Dense(6 * 3 * 3, 10, rng: rng), new BatchNorm(10), new Relu(),          // rank-2 batch norm
            new Dense(10, 3, rng: rng));
        OnnxRuntimeOracle.Randomize(net, 8);
        OnnxRuntimeOracle.WarmBatchNorm(net, [144], 9);
        var bn = (BatchNorm)net[2];
        Assert.That(bn.RunningVar.ToDoubleArray().Any(v => Math.Abs(v - 1) > 0.1), "running statistics were moved");
        Assert.That(OnnxRuntimeOracle.MaxRelativeError(net, [144], batch: 5, seed: 10), Is.LessThanOrEqualTo(Tolerance));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ExampleConvNetMatchesOnnxRuntime(bool batchNorm)
    {
        var net = ConvNet.Create(batchNorm, seed: 11, hidden: 64);
        if (batchNorm) OnnxRuntimeOracle.WarmBatchNorm(net, [784], 12);
        Assert.That(OnnxRuntimeOracle.MaxRelativeError(net, [784], batch: 4, seed: 13), Is.LessThanOrEqualTo(Tolerance));
    }

    [Test]
    public void PaperAutoencoderMatchesOnnxRuntime()
    {
        var net = DeepAutoencoder.Create(seed: 14);
        Assert.That(OnnxRuntimeOracle.MaxRelativeError(net, [784], batch: 6, seed: 15), Is.LessThanOrEqualTo(Tolerance));
    }

    [Test]
    public void Float64ModelExportsAsDouble()
    {
        var net = Mlp.Create([5, 7, 2], Activation.Sigmoid, seed: 16, dtype: DType.Float64);
        var proto = OnnxExport.ToModelProto(net, [5]);
        Assert.That(proto.Graph.Initializer.Select(t => t.DataType), Is.All.EqualTo((int)TensorProto.Types.DataType.Double));
        Assert.That(OnnxRuntimeOracle.MaxRelativeError(net, [5], batch: 3, seed: 17), Is.LessThanOrEqualTo(1e-12));
    }

    [Test]
    public void ModelIsStandardOpset17WithStateDictNames()
    {
        var net = new Sequential(new Dense(3, 4), new Relu(), new BatchNorm(4), new Dense(4, 2, bias: false));
        var bytes = OnnxExport.ToBytes(net, [3], new OnnxExportOptions { Metadata = new Dictionary<string, string> { ["run"] = "test" } });
        var proto = ModelProto.Parser.ParseFrom(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(proto.IrVersion, Is.EqualTo(8));
            Assert.That(proto.OpsetImport.Single().Version, Is.EqualTo(17));
            Assert.That(proto.OpsetImport.Single().Domain, Is.Empty);
            Assert.That(proto.Graph.Initializer.Select(t => t.Name),
                Is.EquivalentTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean", "2.running_var", "3.weight" }));
            Assert.That(proto.Graph.Node.Select(n => n.OpType), Is.EqualTo(new[] { "Gemm", "Relu", "BatchNormalization", "Gemm" }));
            Assert.That(proto.Graph.Node.Last().Output.Single(), Is.EqualTo("output"));
            Assert.That(proto.Graph.Input.Single().Type.TensorType.Shape.Dim.Select(d => d.DimParam), Is.EqualTo(new[] { "batch", "" }));
            Assert.That(proto.Graph.Output.Single().Type.TensorType.Shape.Dim.Last().DimValue, Is.EqualTo(2));
            Assert.That(proto.MetadataProps.Single().Value, Is.EqualTo("test"));
        });
    }

    [Test]
    public void IdentityModelStillProducesTheOutput()
    {
        var net = new Sequential(new Identity());
        Assert.That(OnnxRuntimeOracle.MaxRelativeError(net, [4], batch: 2, seed: 18), Is.EqualTo(0));
    }

    /// <summary>A custom layer y = 2 x exported through <see cref="IOnnxConvertible"/>.</summary>
    private sealed class Double : Module, IOnnxConvertible
    {
        public override Tensor Forward(Tensor input) => input * 2.0;

        public string ToOnnx(OnnxGraphBuilder graph, string input, string path) =>
            graph.AddNode("Add", path, [input, input]);
    }

    [Test]
    public void CustomModulesConvertThemselves()
    {
        var net = new Sequential(new Dense(3, 3), new Double(), new Tanh());
        OnnxRuntimeOracle.Randomize(net, 19);
        Assert.That(OnnxRuntimeOracle.MaxRelativeError(net, [3], batch: 2, seed: 20), Is.LessThanOrEqualTo(Tolerance));
    }

    private sealed class Unknown : Module
    {
        public override Tensor Forward(Tensor input) => input;
    }

    [Test]
    public void UnsupportedModuleIsNamedWithItsPath()
    {
        var net = new Sequential(new Dense(3, 3), new Sequential(new Relu(), new Unknown()));
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(net, [3]))!;
        Assert.That(e.Message, Does.Contain("'1.1'").And.Contain("Unknown").And.Contain("IOnnxConvertible"));
    }

    [Test]
    public void WrongInputShapeFailsBeforeWriting()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.onnx");
        File.WriteAllText(path, "previous");
        var net = new Sequential(new Dense(3, 3));
        var e = Assert.Throws<ShapeMismatchException>(() => OnnxExport.Save(net, path, [4]))!;
        Assert.That(e.Message, Does.Contain("[2, 4]"));
        Assert.That(File.ReadAllText(path), Is.EqualTo("previous"));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExport.Save(net, path, [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExport.Save(net, path, []));
        Assert.That(dir.Entries(), Is.EqualTo(new[] { "model.onnx" }));
    }

    [Test]
    public void ExportLeavesTrainingFlagsAsTheyWere()
    {
        var net = new Sequential(new Dense(3, 3), new BatchNorm(3));
        net.Train();
        OnnxExport.ToBytes(net, [3]);
        Assert.That(net.Modules().All(m => m.IsTraining));
        net.Eval();
        OnnxExport.ToBytes(net, [3]);
        Assert.That(net.Modules().All(m => !m.IsTraining));
    }

    [Test]
    public void SaveWritesAFileOnnxRuntimeLoads()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mlp.onnx");
        OnnxExport.Save(Mlp.Create([4, 5, 2]), path, [4]);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        Assert.That(session.InputMetadata.Keys.Single(), Is.EqualTo("input"));
        Assert.That(session.OutputMetadata.Keys.Single(), Is.EqualTo("output"));
    }

    [Test]
    public void ExampleShapeIsReadFromTheFirstLayer()
    {
        Assert.That(OnnxExport.InferExampleShape(Mlp.Create([7, 3])), Is.EqualTo(new[] { 7 }));
        Assert.That(OnnxExport.InferExampleShape(ConvNet.Create(hidden: 8)), Is.EqualTo(new[] { 784 }));
        var e = Assert.Throws<ArgumentException>(() => OnnxExport.InferExampleShape(new Sequential(new Conv2d(1, 2, 3))))!;
        Assert.That(e.Message, Does.Contain("Conv2d").And.Contain("explicitly"));
    }
}

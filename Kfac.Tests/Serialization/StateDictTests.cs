using Kfac.Serialization;
using Kfac.Tensors;
using Kfac.Tests.Data;
using NUnit.Framework;

namespace Kfac.Tests.Serialization;

public class StateDictTests
{
    private static Dictionary<string, Tensor> Model() => new()
    {
        ["encoder.0.weight"] = Tensor.Zeros(new Shape(2, 3)),
        ["encoder.0.bias"] = Tensor.Zeros(new Shape(2)),
    };

    private static Dictionary<string, Tensor> Checkpoint() => new()
    {
        ["encoder.0.weight"] = Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, 2, 3),
        ["encoder.0.bias"] = Tensor.FromArray(new[] { -1f, -2 }, 2),
    };

    private static void AssertUntouched(Dictionary<string, Tensor> model)
    {
        foreach (var (name, t) in model) Assert.That(t.ToDoubleArray(), Is.All.EqualTo(0.0), $"'{name}' must not be half-loaded");
    }

    [Test]
    public void CopiesValuesIntoTheExistingTensors()
    {
        var model = Model();
        var weight = model["encoder.0.weight"];
        var copied = StateDict.CopyInto(model, Checkpoint());
        Assert.That(copied, Is.EquivalentTo(new[] { "encoder.0.weight", "encoder.0.bias" }));
        Assert.That(model["encoder.0.weight"], Is.SameAs(weight), "values are copied into, not replaced");
        Assert.That(weight.ToArray<float>(), Is.EqualTo(new[] { 1f, 2, 3, 4, 5, 6 }));
        Assert.That(model["encoder.0.bias"].ToArray<float>(), Is.EqualTo(new[] { -1f, -2 }));
    }

    [Test]
    public void ConvertsBetweenFloat64AndFloat32()
    {
        var model = new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(new Shape(2)), ["b"] = Tensor.Zeros(new Shape(2), DType.Float64) };
        var checkpoint = new Dictionary<string, Tensor>
        {
            ["a"] = Tensor.FromArray(new[] { 0.1, 1e300 }, 2),
            ["b"] = Tensor.FromArray(new[] { 0.1f, -3f }, 2),
        };
        StateDict.CopyInto(model, checkpoint);
        Assert.That(model["a"].ToArray<float>(), Is.EqualTo(new[] { 0.1f, float.PositiveInfinity }));
        Assert.That(model["b"].ToArray<double>(), Is.EqualTo(new[] { (double)0.1f, -3.0 }));
        Assert.That(model["a"].DType, Is.EqualTo(DType.Float32), "the destination keeps its dtype");
    }

    [Test]
    public void ShapeMismatchNamesTheTensorAndBothShapes()
    {
        var model = new Dictionary<string, Tensor> { ["encoder.0.weight"] = Tensor.Zeros(new Shape(500, 784)) };
        var checkpoint = new Dictionary<string, Tensor> { ["encoder.0.weight"] = Tensor.Zeros(new Shape(1000, 784)) };
        var e = Assert.Throws<StateDictMismatchException>(() => StateDict.CopyInto(model, checkpoint))!;
        Assert.That(e.Message, Does.StartWith("checkpoint tensor 'encoder.0.weight' has shape [1000, 784] but the model's has shape [500, 784]"));
        Assert.That(e.ShapeMismatches.Single(), Is.EqualTo(("encoder.0.weight", new Shape(1000, 784), new Shape(500, 784))));
    }

    [Test]
    public void MissingAndUnexpectedKeysAreListedAndNothingIsCopied()
    {
        var model = Model();
        var checkpoint = Checkpoint();
        checkpoint.Remove("encoder.0.bias");
        checkpoint["decoder.weight"] = Tensor.Zeros(new Shape(1));
        var e = Assert.Throws<StateDictMismatchException>(() => StateDict.CopyInto(model, checkpoint))!;
        Assert.That(e.MissingKeys, Is.EqualTo(new[] { "encoder.0.bias" }));
        Assert.That(e.UnexpectedKeys, Is.EqualTo(new[] { "decoder.weight" }));
        Assert.That(e.Message, Does.Contain("2 problems, nothing loaded"));
        Assert.That(e.Message, Does.Contain("the checkpoint has no value for model tensor 'encoder.0.bias'"));
        Assert.That(e.Message, Does.Contain("the model has no tensor for checkpoint tensor 'decoder.weight'"));
        AssertUntouched(model);
    }

    [Test]
    public void AShapeErrorInOneTensorLeavesTheOthersUntouched()
    {
        var model = Model();
        var checkpoint = Checkpoint();
        checkpoint["encoder.0.bias"] = Tensor.Zeros(new Shape(3));
        Assert.Throws<StateDictMismatchException>(() => StateDict.CopyInto(model, checkpoint));
        AssertUntouched(model);
    }

    [Test]
    public void NonStrictCopiesTheCommonKeysButStillChecksShapes()
    {
        var model = Model();
        var checkpoint = Checkpoint();
        checkpoint.Remove("encoder.0.bias");
        checkpoint["extra"] = Tensor.Zeros(new Shape(1));
        var copied = StateDict.CopyInto(model, checkpoint, strict: false);
        Assert.That(copied, Is.EqualTo(new[] { "encoder.0.weight" }));
        Assert.That(model["encoder.0.bias"].ToArray<float>(), Is.All.EqualTo(0f));

        checkpoint["encoder.0.weight"] = Tensor.Zeros(new Shape(3, 2));
        Assert.Throws<StateDictMismatchException>(() => StateDict.CopyInto(model, checkpoint, strict: false));
    }

    [Test]
    public void CheckpointRoundTripThroughSafeTensors()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensors.Save(path, Checkpoint(), new Dictionary<string, string> { ["step"] = "100" });
        var model = Model();
        var (tensors, metadata) = SafeTensors.Load(path);
        StateDict.CopyInto(model, tensors);
        Assert.That(model["encoder.0.weight"].ToArray<float>(), Is.EqualTo(new[] { 1f, 2, 3, 4, 5, 6 }));
        Assert.That(metadata["step"], Is.EqualTo("100"));
    }
}

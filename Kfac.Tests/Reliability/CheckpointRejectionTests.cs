using Kfac.Data;
using Kfac.Ops;
using Kfac.Serialization;
using Kfac.Tensors;
using Kfac.Training;
using NUnit.Framework;
using static Kfac.Tests.Reliability.ReliabilityFixture;

namespace Kfac.Tests.Reliability;

/// <summary>
/// Bad checkpoints are refused by <see cref="Checkpoint.Restore"/> with a <see cref="CheckpointException"/> naming
/// the file and the problem, and NOTHING changes in the model or optimizer (validate first, then apply). Each case
/// writes a good checkpoint after 6 training steps (so K-FAC has blocks and factors), edits one thing in the file,
/// and restores it into fresh objects.
/// </summary>
public class CheckpointRejectionTests
{
    private delegate void Edit(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata);

    private static readonly Dictionary<string, (string Optimizer, Edit Edit, string Expected)> Cases = new()
    {
        // Non-finite tensors, anywhere in the file.
        ["model weight NaN"] = ("sgd", (t, _) => Poison(t, First(t, "model."), float.NaN), "must be finite"),
        ["model weight +Inf"] = ("adam", (t, _) => Poison(t, First(t, "model."), float.PositiveInfinity), "must be finite"),
        ["model bias -Inf"] = ("kfac", (t, _) => Poison(t, First(t, "model.", ".bias"), float.NegativeInfinity), ".bias"),
        ["sgd momentum buffer NaN"] = ("sgd", (t, _) => Poison(t, First(t, "optim.param."), float.NaN), "optim.param."),
        ["adam moment NaN"] = ("adam", (t, _) => Poison(t, First(t, "optim.param."), float.NaN), "optim.param."),
        ["kfac backup NaN"] = ("kfac", (t, _) => Poison(t, "optim.kfac.backup.0", float.NaN), "optim.kfac.backup.0"),
        ["kfac previous update Inf"] = ("kfac", (t, _) => Poison(t, "optim.kfac.previous.1", float.PositiveInfinity), "optim.kfac.previous.1"),
        ["kfac factor NaN"] = ("kfac", (t, _) => Poison(t, First(t, "optim.kfac.block.0."), float.NaN), "optim.kfac.block.0."),
        // K-FAC values out of range.
        ["kfac lambda NaN"] = ("kfac", (_, m) => m["optim.lambda"] = "NaN", "'lambda' is 'NaN'"),
        ["kfac lambda -1"] = ("kfac", (_, m) => m["optim.lambda"] = "-1", "'lambda' is '-1'"),
        ["kfac lambda 0"] = ("kfac", (_, m) => m["optim.lambda"] = "0", "'lambda' is '0'"),
        ["kfac gamma 0"] = ("kfac", (_, m) => m["optim.gamma"] = "0", "'gamma' is '0'"),
        ["kfac gamma Infinity"] = ("kfac", (_, m) => m["optim.gamma"] = "Infinity", "'gamma' is 'Infinity'"),
        ["kfac iteration -1"] = ("kfac", (_, m) => m["optim.iteration"] = "-1", "'iteration' is '-1'"),
        ["kfac iteration text"] = ("kfac", (_, m) => m["optim.iteration"] = "many", "'iteration' is 'many'"),
        ["kfac rng offset -5"] = ("kfac", (_, m) => m["optim.rng_offset"] = "-5", "'rng_offset' is '-5'"),
        ["kfac rejections -2"] = ("kfac", (_, m) => m["optim.rejections"] = "-2", "'rejections' is '-2'"),
        ["kfac lambda missing"] = ("kfac", (_, m) => m.Remove("optim.lambda"), "missing metadata 'lambda'"),
        ["kfac blocks text"] = ("kfac", (_, m) => m["optim.blocks"] = "three", "'blocks' is 'three'"),
        // Unknown and missing keys.
        ["kfac unknown block tensor kfac.block.99"] = ("kfac", (t, _) => Add(t, "optim.kfac.block.99.A", First(t, "optim.kfac.block.0.")), "kfac.block.99.A"),
        ["kfac unknown parameter index"] = ("kfac", (t, _) => Add(t, "optim.kfac.previous.99", "optim.kfac.previous.0"), "kfac.previous.99"),
        ["kfac unknown metadata key"] = ("kfac", (_, m) => m["optim.kfac.block.99.kind"] = "Dense", "kfac.block.99.kind"),
        ["kfac missing backup tensor"] = ("kfac", (t, _) => Remove(t, "optim.kfac.backup.1"), "kfac.backup.1"),
        ["sgd unknown state tensor"] = ("sgd", (t, _) => Add(t, "optim.param.99.momentum", First(t, "optim.param.")), "param.99.momentum"),
        ["adam missing moment"] = ("adam", (t, _) => Remove(t, First(t, "optim.param.")), "has no tensor"),
        ["adam lr NaN"] = ("adam", (_, m) => m["optim.group.0.lr"] = "NaN", "group.0.lr"),
        ["adam step -1"] = ("adam", (_, m) => m["optim.step"] = "-1", "'step' is '-1'"),
        ["model unknown key"] = ("sgd", (t, _) => Add(t, "model.extra.weight", First(t, "model.")), "unknown tensor 'model.extra.weight'"),
        ["model missing key"] = ("adam", (t, _) => Remove(t, First(t, "model.", ".bias")), "missing 'model."),
        ["model wrong shape"] = ("kfac", (t, _) => Replace(t, First(t, "model.", ".bias"), Tensor.Zeros(new Shape(5))), "has shape [5]"),
        ["tensor outside model/optim"] = ("sgd", (t, _) => Add(t, "other.x", First(t, "model.")), "'other.x'"),
        ["no optimizer state"] = ("sgd", (t, m) => { foreach (var k in t.Keys.Where(k => k.StartsWith("optim.")).ToList()) Remove(t, k); foreach (var k in m.Keys.Where(k => k.StartsWith("optim.")).ToList()) m.Remove(k); }, "no optimizer state"),
        ["optimizer kind mismatch"] = ("sgd", (_, m) => m["optimizer"] = "adam", "written by optimizer 'adam'"),
        // Run position.
        ["step missing"] = ("sgd", (_, m) => m.Remove("step"), "'step' is missing"),
        ["step not numeric"] = ("adam", (_, m) => m["step"] = "abc", "'step' is 'abc'"),
        ["step negative"] = ("kfac", (_, m) => m["step"] = "-3", "'step' is '-3'"),
        ["epoch beyond int range"] = ("sgd", (_, m) => m["epoch"] = "99999999999", "'epoch' is '99999999999'"),
        ["epoch missing"] = ("sgd", (_, m) => m.Remove("epoch"), "'epoch' is missing"),
        ["batch negative"] = ("sgd", (_, m) => m["batch"] = "-1", "'batch' is '-1'"),
        ["batch size zero"] = ("sgd", (_, m) => m["batch_size"] = "0", "'batch_size' is 0"),
        ["loader seed text"] = ("sgd", (_, m) => m["loader_seed"] = "x1", "'loader_seed' is 'x1'"),
    };

    public static IEnumerable<string> CaseNames => Cases.Keys;

    [TestCaseSource(nameof(CaseNames))]
    public void BadCheckpointIsRefusedNamingFileAndProblemAndChangesNothing(string name)
    {
        var (optimizer, edit, expected) = Cases[name];
        using var dir = TempDir();
        string path = dir.File("run.safetensors");
        WriteTrained(path, optimizer);
        var (tensors, metadata) = SafeTensors.Load(path);
        edit(tensors, metadata);
        SafeTensors.Save(path, tensors, metadata);
        foreach (var t in tensors.Values) t.Dispose();

        AssertRefusedAndUnchanged(path, optimizer, expected);
    }

    [TestCase("missing file", "the file does not exist")]
    [TestCase("empty file", "too short")]
    [TestCase("truncated to half", "")]
    [TestCase("not a safetensors file", "header length")]
    [TestCase("truncated header JSON", "")]
    public void UnreadableCheckpointFileIsRefusedNamingTheFile(string name, string expected)
    {
        using var dir = TempDir();
        string path = dir.File("run.safetensors");
        WriteTrained(path, "adam");
        var bytes = File.ReadAllBytes(path);
        switch (name)
        {
            case "missing file": File.Delete(path); break;
            case "empty file": File.WriteAllBytes(path, []); break;
            case "truncated to half": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
            case "not a safetensors file": File.WriteAllText(path, "this is a text file, not a checkpoint at all"); break;
            case "truncated header JSON": File.WriteAllBytes(path, bytes[..40]); break;
        }
        AssertRefusedAndUnchanged(path, "adam", expected);
    }

    [TestCase("sgd")]
    [TestCase("adam")]
    [TestCase("kfac")]
    public void GoodCheckpointIsAccepted(string optimizer)
    {
        using var dir = TempDir();
        string path = dir.File("run.safetensors");
        WriteTrained(path, optimizer);
        var model = Model(seed: 99);
        var step = Step(optimizer, model);
        var position = Checkpoint.Restore(path, model, s => Import(step, s), step.OptimizerName);
        Assert.That(position, Is.EqualTo(new TrainingPosition(6, 1, 1, LoaderSeed, BatchSize)));
    }

    /// <summary>6 steps of <paramref name="optimizer"/> (5 batches per epoch: position epoch 1, batch 1), saved.</summary>
    private static void WriteTrained(string path, string optimizer)
    {
        var (x, labels) = TinyData();
        var model = Model(seed: 5);
        var step = Step(optimizer, model);
        using var loader = new DataLoader(x, labels, BatchSize, seed: LoaderSeed);
        var trainer = new Trainer(step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), new TrainingBudget { Steps = 6 }) { LogEverySeconds = 1e9 };
        trainer.Run();
        var metadata = trainer.Position.ToMetadata();
        metadata["optimizer"] = step.OptimizerName;
        using var state = Export(step);
        Checkpoint.Save(path, model, state, metadata);
    }

    private static void AssertRefusedAndUnchanged(string path, string optimizer, string expected)
    {
        var model = Model(seed: 99);
        var step = Step(optimizer, model);
        var weightsBefore = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());
        using var stateBefore = Export(step);
        var stateBeforeCopy = stateBefore.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToDoubleArray());

        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Restore(path, model, s => Import(step, s), step.OptimizerName))!;
        Assert.That(e.Message, Does.Contain(path), "names the file");
        Assert.That(e.Message, Does.Contain(expected), "names the problem");
        Assert.That(e.Message, Does.Not.Contain(Environment.NewLine), "one line");

        foreach (var (k, t) in model.StateDict()) Assert.That(t.ToArray<float>(), Is.EqualTo(weightsBefore[k]), $"weight {k} unchanged");
        using var stateAfter = Export(step);
        Assert.That(stateAfter.Metadata, Is.EquivalentTo(stateBefore.Metadata), "optimizer metadata unchanged");
        foreach (var (k, t) in stateAfter.Tensors) Assert.That(t.ToDoubleArray(), Is.EqualTo(stateBeforeCopy[k]), $"optimizer tensor {k} unchanged");
        // And the optimizer still works: a step afterwards does not hit half-imported state.
        var (x, labels) = TinyData();
        using (TensorScope.Begin()) step.Step(x, SoftmaxOps.OneHot(labels, 2));
    }

    private static string First(Dictionary<string, Tensor> t, string prefix, string suffix = "") =>
        t.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.EndsWith(suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).First();

    private static void Poison(Dictionary<string, Tensor> t, string key, float value)
    {
        var data = t[key].ToDoubleArray();
        data[data.Length / 2] = value;
        Replace(t, key, t[key].DType == DType.Float32 ? Tensor.FromArray<float>(data.Select(d => (float)d).ToArray(), t[key].Shape) : Tensor.FromArray<double>(data, t[key].Shape));
    }

    private static void Add(Dictionary<string, Tensor> t, string key, string like) => t[key] = t[like].Clone();

    private static void Remove(Dictionary<string, Tensor> t, string key)
    {
        t[key].Dispose();
        t.Remove(key);
    }

    private static void Replace(Dictionary<string, Tensor> t, string key, Tensor value)
    {
        t[key].Dispose();
        t[key] = value;
    }
}

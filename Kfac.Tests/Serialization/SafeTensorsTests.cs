using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Kfac.Serialization;
using Kfac.Tensors;
using Kfac.Tests.Data;
using NUnit.Framework;

namespace Kfac.Tests.Serialization;

public class SafeTensorsTests
{
    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) RoundTrip(
        Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata = null)
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensors.Save(path, tensors, metadata);
        return SafeTensors.Load(path);
    }

    /// <summary>A file with the given header text (not padded) and data section, and optionally a lying length field.</summary>
    private static byte[] FileBytes(string header, int dataBytes, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static string LoadFails(byte[] bytes)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path))!;
        Assert.That(e.Message, Does.StartWith($"safetensors file '{path}': "), "the message names the file");
        return e.Message;
    }

    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    [Test]
    public void GoldenBytesForATinyTensor()
    {
        // 8-byte little-endian header length 56, the JSON padded with 2 spaces to 56 bytes, then 1.0f and -2.0f.
        string header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  ";
        var expected = new List<byte> { 56, 0, 0, 0, 0, 0, 0, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes(header));
        expected.AddRange(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 });

        var stream = new MemoryStream();
        SafeTensors.Write(stream, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new[] { 1f, -2f }, 2) });
        Assert.That(stream.ToArray(), Is.EqualTo(expected.ToArray()));
    }

    [Test]
    public void GoldenBytesWithMetadataAndAScalar()
    {
        string header = "{\"__metadata__\":{\"format\":\"pt\"},\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}    ";
        var expected = new List<byte> { 88, 0, 0, 0, 0, 0, 0, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes(header));
        expected.AddRange(new byte[] { 0, 0, 0, 0, 0, 0, 0xE0, 0x3F }); // 0.5

        var stream = new MemoryStream();
        SafeTensors.Write(stream, new Dictionary<string, Tensor> { ["s"] = Tensor.Scalar(0.5, DType.Float64) },
            new Dictionary<string, string> { ["format"] = "pt" });
        Assert.That(stream.ToArray(), Is.EqualTo(expected.ToArray()));
        stream.Position = 0;
        var (tensors, metadata) = SafeTensors.Read(stream, "golden");
        Assert.That(tensors["s"].Shape, Is.EqualTo(Shape.Scalar));
        Assert.That(tensors["s"].Item(), Is.EqualTo(0.5));
        Assert.That(metadata, Is.EqualTo(new Dictionary<string, string> { ["format"] = "pt" }));
    }

    [Test]
    public void RoundTripIsBitExactForAllShapesAndBothDTypes()
    {
        var specials32 = new[] { float.NaN, -0f, float.Epsilon, float.MaxValue, float.NegativeInfinity, 1f / 3 };
        var specials64 = new[] { double.NaN, -0.0, double.Epsilon, double.MaxValue, double.PositiveInfinity, Math.PI };
        var tensors = new Dictionary<string, Tensor>
        {
            ["encoder.0.weight"] = Tensor.FromArray(specials32, 2, 3),
            ["encoder.0.bias"] = Tensor.FromArray(specials64, 3, 1, 2),
            ["scalar32"] = Tensor.Scalar(-1.25),
            ["scalar64"] = Tensor.Scalar(1e-300, DType.Float64),
            ["empty"] = Tensor.Zeros(new Shape(0)),
            ["empty.rows"] = Tensor.Zeros(new Shape(0, 3), DType.Float64),
        };
        var (back, metadata) = RoundTrip(tensors);
        Assert.That(back.Keys, Is.EquivalentTo(tensors.Keys));
        Assert.That(metadata, Is.Empty);
        foreach (var (name, original) in tensors)
        {
            var loaded = back[name];
            Assert.That(loaded.Shape, Is.EqualTo(original.Shape), name);
            Assert.That(loaded.DType, Is.EqualTo(original.DType), name);
            Assert.That(loaded.Name, Is.EqualTo(name));
            if (original.DType == DType.Float32)
                Assert.That(loaded.ToArray<float>().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(original.ToArray<float>().Select(BitConverter.SingleToInt32Bits)), name);
            else
                Assert.That(loaded.ToArray<double>().Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(original.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)), name);
        }
    }

    [FsCheck.NUnit.Property(MaxTest = 30)]
    public Property RoundTripOfRandomFloatTensors(float[] values, PositiveInt columns)
    {
        int cols = 1 + columns.Get % 4;
        int rows = values.Length / cols;
        var data = values.Take(rows * cols).ToArray();
        var stream = new MemoryStream();
        SafeTensors.Write(stream, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray<float>(data, new Shape(rows, cols)) });
        stream.Position = 0;
        var w = SafeTensors.Read(stream, "memory").Tensors["w"];
        return (w.Shape == new Shape(rows, cols)
            && w.ToArray<float>().Select(BitConverter.SingleToInt32Bits).SequenceEqual(data.Select(BitConverter.SingleToInt32Bits))).ToProperty();
    }

    [Test]
    public void MetadataRoundTrips()
    {
        var metadata = new Dictionary<string, string>
        {
            ["epoch"] = "12",
            ["optimizer"] = "kfac {\"damping\": 1e-3}",
            ["note"] = "ünïcödé, tabs\tand\nnewlines",
            ["empty"] = "",
        };
        var (_, back) = RoundTrip(new Dictionary<string, Tensor> { ["a"] = Tensor.Ones(new Shape(2)) }, metadata);
        Assert.That(back, Is.EquivalentTo(metadata));
    }

    [Test]
    public void EqualContentsGiveIdenticalFilesWhateverTheInsertionOrder()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f }, 2);
        var b = Tensor.FromArray(new[] { 3.0 }, 1);
        var first = new MemoryStream();
        var second = new MemoryStream();
        SafeTensors.Write(first, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b });
        SafeTensors.Write(second, new Dictionary<string, Tensor> { ["b"] = b, ["a"] = a });
        Assert.That(second.ToArray(), Is.EqualTo(first.ToArray()));
        Assert.That(first.Length % 8, Is.EqualTo((8 + 8 + 8) % 8), "header padded to a multiple of 8");
    }

    [Test]
    public void LoadedTensorsOutliveTheCallersScope()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Ones(new Shape(2)) });
        Tensor a;
        using (TensorScope.Begin()) a = SafeTensors.Load(path).Tensors["a"];
        Assert.That(a.IsDisposed, Is.False);
    }

    [Test]
    public void ReservedNamesAreRefused()
    {
        var stream = new MemoryStream();
        var e = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Write(stream, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(new Shape(1)) }))!;
        Assert.That(e.Message, Does.Contain("'__metadata__'"));
    }

    [Test]
    public void TooShortForTheLengthField() =>
        Assert.That(LoadFails([1, 2, 3]), Does.Contain("3 bytes is too short for the 8-byte header length"));

    [Test]
    public void HeaderLengthBeyondTheFile() =>
        Assert.That(LoadFails(FileBytes("{}", 0, declaredLength: 4096)), Does.Contain("header length 4096 runs past the end of the file (10 bytes)"));

    [Test]
    public void AbsurdHeaderLength() =>
        Assert.That(LoadFails(FileBytes("{}", 0, declaredLength: ulong.MaxValue)), Does.Contain("over the 100000000-byte limit"));

    [Test]
    public void CorruptHeaderJson()
    {
        Assert.That(LoadFails(FileBytes("{\"a\":{\"dtype\":", 0)), Does.Contain("the header is not valid JSON"));
        Assert.That(LoadFails(FileBytes("[1,2]   ", 0)), Does.Contain("the header is a JSON Array, not an object"));
    }

    [Test]
    public void UnsupportedDTypeNamesTheTensor() =>
        Assert.That(LoadFails(FileBytes("{" + Entry("h", "F16", "[2]", 0, 4) + "}", 4)), Does.Contain("tensor 'h' has dtype 'F16'; Kfac reads F32 and F64"));

    [Test]
    public void SizeThatDisagreesWithDTypeAndShape() =>
        Assert.That(LoadFails(FileBytes("{" + Entry("w", "F32", "[2,3]", 0, 20) + "}", 20)),
            Does.Contain("tensor 'w' is F32 [2, 3] = 24 bytes but its data_offsets [0, 20] span 20"));

    [Test]
    public void TruncatedDataSection() =>
        Assert.That(LoadFails(FileBytes("{" + Entry("w", "F64", "[4]", 0, 32) + "}", 20)),
            Does.Contain("tensor 'w' has data_offsets [0, 32] but the data section has only 20 bytes (truncated file?)"));

    [Test]
    public void OverlappingTensors() =>
        Assert.That(LoadFails(FileBytes("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 4, 12) + "}", 12)),
            Does.Contain("tensor 'b' data_offsets [4, 12] overlap tensor 'a', which ends at 8"));

    [Test]
    public void GapBetweenTensors() =>
        Assert.That(LoadFails(FileBytes("{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("b", "F32", "[1]", 8, 12) + "}", 12)),
            Does.Contain("tensor 'b' starts at 8, leaving bytes [4, 8) of the data section unused after tensor 'a'"));

    [Test]
    public void BytesBeyondTheLastTensor() =>
        Assert.That(LoadFails(FileBytes("{" + Entry("a", "F32", "[1]", 0, 4) + "}", 7)),
            Does.Contain("the data section has 7 bytes but the tensors cover only 4"));

    [Test]
    public void MalformedEntries()
    {
        Assert.That(LoadFails(FileBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)), Does.Contain("tensor 'a' has no 'data_offsets' array"));
        Assert.That(LoadFails(FileBytes("{" + Entry("a", "F32", "[-1]", 0, 4) + "}", 4)), Does.Contain("tensor 'a' has 'shape' item 0 = -1"));
        Assert.That(LoadFails(FileBytes("{" + Entry("a", "F32", "[1.5]", 0, 4) + "}", 4)), Does.Contain("tensor 'a' has 'shape' item 0 = 1.5"));
        Assert.That(LoadFails(FileBytes("{" + Entry("a", "F32", "[1]", 4, 0) + "}", 4)), Does.Contain("tensor 'a' has data_offsets [4, 0] with begin after end"));
        Assert.That(LoadFails(FileBytes("{\"a\":[1]}", 4)), Does.Contain("tensor 'a' is a JSON Array"));
        Assert.That(LoadFails(FileBytes("{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("a", "F32", "[1]", 0, 4) + "}", 4)), Does.Contain("names 'a' twice"));
    }

    [Test]
    public void MetadataMustBeStrings() =>
        Assert.That(LoadFails(FileBytes("{\"__metadata__\":{\"epoch\":3}}", 0)), Does.Contain("metadata 'epoch' is a JSON Number; metadata values must be strings"));

    [Test]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load("/no/such/model.safetensors"))!;
        Assert.That(e.Message, Does.Contain("/no/such/model.safetensors"));
    }

    [Test]
    public void SaveIsAtomicOverAnExistingCheckpoint()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ckpt.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Ones(new Shape(3)) });
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(new Shape(3)) }, new Dictionary<string, string> { ["v"] = "2" });
        var (tensors, metadata) = SafeTensors.Load(path);
        Assert.That(tensors["a"].ToArray<float>(), Is.EqualTo(new float[3]));
        Assert.That(metadata["v"], Is.EqualTo("2"));
        Assert.That(dir.Entries(), Is.EqualTo(new[] { "ckpt.safetensors" }));
    }
}

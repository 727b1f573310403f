using Kfac.Data;
using Kfac.Tensors;
using NUnit.Framework;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Kfac.Tests.Data;

public class FashionMnistTests
{
    // Decompressing the embedded subset takes a few hundred milliseconds; read-only tests share one copy.
    private static readonly Lazy<ClassificationDataset> Embedded = new(FashionMnist.LoadEmbedded);

    private static void AssumeDebianPackage() =>
        Assume.That(Directory.Exists(FashionMnist.DebianDirectory),
            $"{FashionMnist.DebianDirectory} is absent (apt-get install dataset-fashion-mnist to run this test)");

    private static void AssertPixelsInUnitInterval(Tensor images)
    {
        var pixels = images.AsSpan<float>();
        Assert.That(TensorPrimitives.Min(pixels), Is.EqualTo(0f));
        Assert.That(TensorPrimitives.Max(pixels), Is.EqualTo(1f));
    }

    [Test]
    public void EmbeddedSubsetIsBalancedAndScaled()
    {
        var data = Embedded.Value;
        Assert.That(data.Train.Inputs.Shape, Is.EqualTo(new Shape(6000, 784)));
        Assert.That(data.Test.Inputs.Shape, Is.EqualTo(new Shape(1000, 784)));
        Assert.That(data.Train.Inputs.DType, Is.EqualTo(DType.Float32));
        Assert.That(data.Train.CountPerClass(), Is.All.EqualTo(600));
        Assert.That(data.Test.CountPerClass(), Is.All.EqualTo(100));
        AssertPixelsInUnitInterval(data.Train.Inputs);
        AssertPixelsInUnitInterval(data.Test.Inputs);
        Assert.That(data.ClassNames, Has.Count.EqualTo(10));
        Assert.That(data.ClassNames[9], Is.EqualTo("Ankle boot"));
        Assert.That(data.Source, Does.Contain("embedded"));
    }

    [Test]
    public void EmbeddedTensorsOutliveTheCallersScope()
    {
        ClassificationDataset data;
        using (TensorScope.Begin()) data = FashionMnist.LoadEmbedded();
        Assert.That(data.Test.Inputs.IsDisposed, Is.False, "a data set must not die with a training step's scope");
    }

    [Test]
    public void FullSetFromTheDebianPackage()
    {
        AssumeDebianPackage();
        var data = FashionMnist.Load();
        Assert.That(data.Train.Count, Is.EqualTo(60000));
        Assert.That(data.Test.Count, Is.EqualTo(10000));
        Assert.That(data.Train.Inputs.Shape, Is.EqualTo(new Shape(60000, 784)));
        Assert.That(data.Train.Labels.Min(), Is.EqualTo(0));
        Assert.That(data.Train.Labels.Max(), Is.EqualTo(9));
        Assert.That(data.Train.CountPerClass(), Is.All.EqualTo(6000), "Fashion-MNIST has 6000 training images per class");
        Assert.That(data.Test.CountPerClass(), Is.All.EqualTo(1000));
        AssertPixelsInUnitInterval(data.Train.Inputs);
        AssertPixelsInUnitInterval(data.Test.Inputs);
        Assert.That(data.Source, Is.EqualTo(FashionMnist.DebianDirectory));
    }

    [Test]
    public void EmbeddedFilesAreTheFirstExamplesOfEachClassOfTheDebianFiles()
    {
        AssumeDebianPackage();
        string dir = FashionMnist.DebianDirectory;
        var (expectedImages, expectedLabels) = FashionMnistSubset.Select(
            IdxFile.Read(Path.Combine(dir, "t10k-images-idx3-ubyte.gz")), IdxFile.Read(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz")),
            FashionMnist.EmbeddedTestPerClass);
        var embedded = Embedded.Value;
        Assert.That(embedded.Test.Labels, Is.EqualTo(expectedLabels.GetData<byte>().Select(b => (int)b)));
        var expectedPixels = expectedImages.GetData<byte>().Select(b => b / 255f).ToArray();
        Assert.That(embedded.Test.Inputs.ToArray<float>(), Is.EqualTo(expectedPixels));
    }

    [Test]
    public void MissingDataListsThePlacesSearched()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load("/no/such/fashion"))!;
        Assert.That(e.Message, Does.Contain("'/no/such/fashion' (no such directory)"));
        Assert.That(e.Message, Does.Contain("train-images-idx3-ubyte.gz"));
        Assert.That(e.Message, Does.Contain("apt-get install dataset-fashion-mnist"));
        Assert.That(e.Message, Does.Contain("LoadEmbedded"));
        Assert.That(FashionMnist.IsAvailable("/no/such/fashion"), Is.False);
    }

    /// <summary>Writes a miniature Fashion-MNIST (uncompressed names) into <paramref name="dir"/>.</summary>
    private static void WriteMiniature(TempDirectory dir, int trainCount = 20, int testCount = 10, byte badLabel = 0)
    {
        void Split(string prefix, int n)
        {
            var pixels = Enumerable.Range(0, n * 784).Select(i => (byte)(i % 256)).ToArray();
            var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
            if (badLabel != 0) labels[^1] = badLabel;
            IdxFile.FromArray(pixels, n, 28, 28).Write(dir.File($"{prefix}-images-idx3-ubyte"), gzip: false);
            IdxFile.FromArray(labels, n).Write(dir.File($"{prefix}-labels-idx1-ubyte"), gzip: true);
        }
        Split("train", trainCount);
        Split("t10k", testCount);
    }

    [Test]
    public void LoadsFromAGivenDirectoryWithOrWithoutGzSuffix()
    {
        using var dir = new TempDirectory();
        WriteMiniature(dir);
        var data = FashionMnist.Load(dir.Path);
        Assert.That(data.Train.Inputs.Shape, Is.EqualTo(new Shape(20, 784)));
        Assert.That(data.Test.Count, Is.EqualTo(10));
        Assert.That(data.Train.Inputs[0, 255], Is.EqualTo(1.0));
        Assert.That(data.Train.Inputs[0, 51], Is.EqualTo(51 / 255f));
    }

    [Test]
    public void ImageAndLabelCountsMustAgree()
    {
        using var dir = new TempDirectory();
        WriteMiniature(dir);
        IdxFile.FromArray(new byte[7], 7).Write(dir.File("t10k-labels-idx1-ubyte"), gzip: false);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path))!;
        Assert.That(e.Message, Does.Contain("has 10 images").And.Contain("has 7 labels").And.Contain("t10k-labels-idx1-ubyte"));
    }

    [Test]
    public void LabelsOutsideTheTenClassesAreRejected()
    {
        using var dir = new TempDirectory();
        WriteMiniature(dir, badLabel: 10);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path))!;
        Assert.That(e.Message, Does.Contain("example 19 has label 10"));
    }

    [Test]
    public void ALabelsFileInPlaceOfImagesIsRecognised()
    {
        using var dir = new TempDirectory();
        WriteMiniature(dir);
        File.Copy(dir.File("train-labels-idx1-ubyte"), dir.File("train-images-idx3-ubyte"), overwrite: true);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path))!;
        Assert.That(e.Message, Does.Contain("expected UInt8 Nx28x28 images").And.Contain("UInt8 20;"));
    }

    [Test]
    public void AnEmptyImageFileGivesZeroRowsOfPixels()
    {
        var data = IdxImageSet.ToLabeledData(IdxFile.FromArray(Array.Empty<byte>(), 0, 28, 28), IdxFile.FromArray(Array.Empty<byte>(), 0), 10, 28, 28);
        Assert.That(data.Inputs.Shape, Is.EqualTo(new Shape(0, 784)));
    }
}

using NUnit.Framework;
using Kfac.Data;

namespace Kfac.Tests.Data;

/// <summary>
/// Regenerates Kfac.Core/Data/Embedded/*.gz from the Debian package dataset-fashion-mnist. Explicit: it
/// writes into the source tree, so it runs only when asked:
/// <code>dotnet test Kfac.Tests --filter "FullyQualifiedName~EmbeddedSubsetGenerator"</code>
/// (NUnit runs an [Explicit] test when the filter selects it by name). The output is deterministic:
/// same input files, same bytes (gzip at SmallestSize writes no timestamp).
/// </summary>
[Explicit("writes Kfac.Core/Data/Embedded; run by name to regenerate the embedded subset")]
public class EmbeddedSubsetGenerator
{
    [Test]
    public void RegenerateEmbeddedFashionMnistSubset()
    {
        Assume.That(FashionMnist.IsAvailable(FashionMnist.DebianDirectory), $"needs {FashionMnist.DebianDirectory} (apt-get install dataset-fashion-mnist)");
        string outDir = FashionMnistSubset.EmbeddedDirectory();
        Directory.CreateDirectory(outDir);
        Write("train", FashionMnist.EmbeddedTrainPerClass, outDir);
        Write("t10k", FashionMnist.EmbeddedTestPerClass, outDir);
        long total = Directory.GetFiles(outDir, "*.gz").Sum(f => new FileInfo(f).Length);
        TestContext.Out.WriteLine($"wrote {outDir}: {total} bytes");
    }

    private static void Write(string split, int perClass, string outDir)
    {
        string source = FashionMnist.DebianDirectory;
        var images = IdxFile.Read(Path.Combine(source, $"{split}-images-idx3-ubyte.gz"));
        var labels = IdxFile.Read(Path.Combine(source, $"{split}-labels-idx1-ubyte.gz"));
        var (subsetImages, subsetLabels) = FashionMnistSubset.Select(images, labels, perClass);
        subsetImages.Write(Path.Combine(outDir, $"{split}-images-idx3-ubyte.gz"), gzip: true);
        subsetLabels.Write(Path.Combine(outDir, $"{split}-labels-idx1-ubyte.gz"), gzip: true);
    }
}

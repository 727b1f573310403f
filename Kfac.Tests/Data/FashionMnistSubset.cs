using NUnit.Framework;
using Kfac.Data;

namespace Kfac.Tests.Data;

/// <summary>How the embedded Fashion-MNIST subset is chosen from the full files: the first
/// <c>perClass</c> examples of each class, kept in file order. Shared by the generator and the test
/// that checks the shipped files against the Debian package.</summary>
internal static class FashionMnistSubset
{
    public static int[] FirstPerClass(byte[] labels, int classCount, int perClass)
    {
        var taken = new int[classCount];
        var indices = new List<int>(classCount * perClass);
        for (int i = 0; i < labels.Length; i++)
        {
            if (taken[labels[i]] < perClass)
            {
                taken[labels[i]]++;
                indices.Add(i);
            }
        }
        if (taken.Any(t => t < perClass))
            throw new InvalidOperationException($"some class has fewer than {perClass} examples: {string.Join(", ", taken)}");
        return indices.ToArray();
    }

    /// <summary>The selected images ([k, 28, 28] ubyte) and labels ([k] ubyte) as IDX files.</summary>
    public static (IdxFile Images, IdxFile Labels) Select(IdxFile images, IdxFile labels, int perClass)
    {
        var labelBytes = labels.GetData<byte>();
        var pixels = images.GetData<byte>();
        var chosen = FirstPerClass(labelBytes, FashionMnist.ClassCount, perClass);
        const int size = FashionMnist.PixelCount;
        var subsetPixels = new byte[chosen.Length * size];
        var subsetLabels = new byte[chosen.Length];
        for (int j = 0; j < chosen.Length; j++)
        {
            Array.Copy(pixels, (long)chosen[j] * size, subsetPixels, (long)j * size, size);
            subsetLabels[j] = labelBytes[chosen[j]];
        }
        return (IdxFile.FromArray(subsetPixels, chosen.Length, FashionMnist.ImageHeight, FashionMnist.ImageWidth),
                IdxFile.FromArray(subsetLabels, chosen.Length));
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kfac.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no Kfac.sln above {TestContext.CurrentContext.TestDirectory}");
    }

    public static string EmbeddedDirectory() => Path.Combine(RepositoryRoot(), "Kfac.Core", "Data", "Embedded");
}

using System.Reflection;

namespace Kfac.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, Zalando Research; MIT licence): 28x28 greyscale images
/// of clothing in 10 classes, 60000 for training and 10000 for testing. <see cref="Load"/> reads the
/// full set from disk (Debian: <c>apt-get install dataset-fashion-mnist</c>); <see cref="LoadEmbedded"/>
/// returns a class-balanced subset compiled into Kfac.Core, so examples and tests run with nothing installed.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package dataset-fashion-mnist installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Environment variable naming another directory to search when no directory is passed.</summary>
    public const string DirectoryVariable = "KFAC_FASHION_MNIST_DIR";

    /// <summary>Image height in pixels.</summary>
    public const int ImageHeight = 28;
    /// <summary>Image width in pixels.</summary>
    public const int ImageWidth = 28;
    /// <summary>Pixels per image (784).</summary>
    public const int PixelCount = ImageHeight * ImageWidth;
    /// <summary>The number of classes (10).</summary>
    public const int ClassCount = 10;

    /// <summary>The class names, indexed by label (from the Fashion-MNIST README).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The four files' names as the original distribution (and Debian) has them; each may also be
    /// present without the .gz suffix (compression is detected from the contents).</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    internal const string EmbeddedResourcePrefix = "Kfac.Data.Embedded.";

    /// <summary>Sizes of the embedded subset (per class: 600 training, 100 test images).</summary>
    public const int EmbeddedTrainPerClass = 600;
    /// <summary>Test images per class in the embedded subset.</summary>
    public const int EmbeddedTestPerClass = 100;

    /// <summary>
    /// Loads the full data set: train 60000 and test 10000 images as float32 [N, 784] in [0, 1], with labels.
    /// Looks in <paramref name="dataDir"/> if given; otherwise in $KFAC_FASHION_MNIST_DIR (if set) and then
    /// <see cref="DebianDirectory"/>. Throws <see cref="FileNotFoundException"/> listing the places searched
    /// when no directory has all four files.
    /// </summary>
    public static ClassificationDataset Load(string? dataDir = null)
    {
        var searched = SearchDirectories(dataDir);
        foreach (string directory in searched)
        {
            var paths = FindFiles(directory);
            if (paths is not null)
                return FromFiles(IdxFile.Read(paths[0]), IdxFile.Read(paths[1]), IdxFile.Read(paths[2]), IdxFile.Read(paths[3]), directory);
        }
        throw new FileNotFoundException(
            $"Fashion-MNIST not found: looked for {string.Join(", ", FileNames)} (with or without .gz) in "
            + string.Join(", ", searched.Select(d => $"'{d}'" + (Directory.Exists(d) ? "" : " (no such directory)")))
            + $". Install it with 'apt-get install dataset-fashion-mnist', pass the directory, set {DirectoryVariable}, "
            + "or use FashionMnist.LoadEmbedded() for the built-in subset.");
    }

    /// <summary>Whether <see cref="Load"/> would find the files.</summary>
    public static bool IsAvailable(string? dataDir = null) => SearchDirectories(dataDir).Any(d => FindFiles(d) is not null);

    /// <summary>The subset compiled into Kfac.Core: 6000 training images (the first 600 of each class in
    /// file order) and 1000 test images (the first 100 of each class), same layout as <see cref="Load"/>.</summary>
    public static ClassificationDataset LoadEmbedded()
    {
        var assembly = typeof(FashionMnist).Assembly;
        var files = FileNames.Select(name => ReadEmbedded(assembly, name)).ToArray();
        return FromFiles(files[0], files[1], files[2], files[3], "embedded Fashion-MNIST subset (Kfac.Core resources)");
    }

    internal static ClassificationDataset FromFiles(IdxFile trainImages, IdxFile trainLabels, IdxFile testImages, IdxFile testLabels, string source)
    {
        var train = IdxImageSet.ToLabeledData(trainImages, trainLabels, ClassCount, ImageHeight, ImageWidth);
        var test = IdxImageSet.ToLabeledData(testImages, testLabels, ClassCount, ImageHeight, ImageWidth);
        return new ClassificationDataset(train, test, ClassNames, source);
    }

    private static List<string> SearchDirectories(string? dataDir)
    {
        if (dataDir is not null) return [dataDir];
        var result = new List<string>();
        string? fromEnvironment = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) result.Add(fromEnvironment);
        result.Add(DebianDirectory);
        return result;
    }

    /// <summary>The four paths in <see cref="FileNames"/> order, or null if any is missing.</summary>
    private static string[]? FindFiles(string directory)
    {
        var paths = new string[FileNames.Count];
        for (int i = 0; i < paths.Length; i++)
        {
            string compressed = Path.Combine(directory, FileNames[i]);
            string plain = compressed[..^".gz".Length];
            if (File.Exists(compressed)) paths[i] = compressed;
            else if (File.Exists(plain)) paths[i] = plain;
            else return null;
        }
        return paths;
    }

    private static IdxFile ReadEmbedded(Assembly assembly, string fileName)
    {
        string resource = EmbeddedResourcePrefix + fileName;
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource '{resource}' is missing from {assembly.GetName().Name}; "
                + "Kfac.Core.csproj should list Data/Embedded/*.gz as EmbeddedResource");
        return IdxFile.Read(stream, "embedded:" + fileName);
    }
}

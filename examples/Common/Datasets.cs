using Kfac.Data;

namespace Kfac.Examples;

public static class Datasets
{
    /// <summary>"embedded" (the subset shipped in Kfac.Core: 6000 train / 1000 test) or "fashion-mnist" (the
    /// Debian package's files, or --data-dir).</summary>
    public static ClassificationDataset Load(string data, string? dataDir)
    {
        var dataset = data switch
        {
            "embedded" => FashionMnist.LoadEmbedded(),
            "fashion-mnist" => FashionMnist.Load(dataDir),
            _ => throw new UsageException($"--data must be 'embedded' or 'fashion-mnist', got '{data}'"),
        };
        Console.WriteLine($"data: {dataset.Source}: train {dataset.Train}, test {dataset.Test}");
        return dataset;
    }
}

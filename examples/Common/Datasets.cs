using Kfac.Data;

namespace Kfac.Examples;

public static class Datasets
{
    /// <summary>The seed of the validation split: fixed, so every optimizer, setting and training seed of a tuning grid
    /// is judged on the same held-out examples.</summary>
    public const long ValidationSplitSeed = 20261203;

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

    /// <summary>The data a run trains and is evaluated on: with <see cref="RunSettings.ValidationFraction"/> f &gt; 0, a
    /// stratified fraction f of the training set (fixed seed <see cref="ValidationSplitSeed"/>) is held out and takes
    /// the test set's place, so tuning never consults the test set (the runner logs its metrics as validation_*).</summary>
    public static ClassificationDataset LoadForRun(RunSettings s)
    {
        var dataset = Load(s.Data, s.DataDir);
        return s.ValidationFraction <= 0 ? dataset : HoldOutValidation(dataset, s.ValidationFraction);
    }

    /// <summary><paramref name="dataset"/> with a stratified fraction <paramref name="fraction"/> of its training set
    /// (fixed seed <see cref="ValidationSplitSeed"/>) held out in the test set's place: the test set is not used.</summary>
    public static ClassificationDataset HoldOutValidation(ClassificationDataset dataset, double fraction)
    {
        var split = DataSplit.TrainValidationTest(dataset.Train, fraction, 0, ValidationSplitSeed);
        Console.WriteLine($"validation: {split.Validation.Count} of the {dataset.Train.Count} training examples held out (stratified, seed {ValidationSplitSeed}); the test set is not used");
        return new ClassificationDataset(split.Train, split.Validation, dataset.ClassNames, $"{dataset.Source}, training set minus a {fraction:G3} validation split");
    }

    /// <summary>"validation" when the run evaluates on a validation split, else "test": the prefix of its metrics.</summary>
    public static string EvaluationSet(RunSettings s) => s.ValidationFraction > 0 ? "validation" : "test";

    /// <summary>Renames evaluation metrics for a run that evaluates on the validation split: test_x becomes validation_x.</summary>
    public static IReadOnlyDictionary<string, double> Relabel(RunSettings s, IReadOnlyDictionary<string, double> metrics) =>
        s.ValidationFraction <= 0 ? metrics
        : metrics.ToDictionary(kv => kv.Key.StartsWith("test_", StringComparison.Ordinal) ? "validation_" + kv.Key["test_".Length..] : kv.Key, kv => kv.Value);
}

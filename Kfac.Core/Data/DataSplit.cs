namespace Kfac.Data;

/// <summary>Training, validation and test parts of one data set (<see cref="DataSplit"/>).</summary>
public sealed record DataSplits(LabeledData Train, LabeledData Validation, LabeledData Test);

/// <summary>
/// Seeded random splits into training, validation and test sets (scikit-learn's train_test_split applied twice,
/// with its stratify option). The permutation comes from SplitMix64, so a seed gives the same split on every
/// machine and .NET version.
/// </summary>
public static class DataSplit
{
    /// <summary>Splits <paramref name="data"/>: round(fraction n) examples go to validation and to test, the rest
    /// to training. Stratified (default) splits each class separately, so every part keeps the class proportions
    /// (class c with n_c examples gives round(fraction n_c) to each held-out part). Each part is in random order.</summary>
    public static DataSplits TrainValidationTest(LabeledData data, double validationFraction, double testFraction, long seed, bool stratify = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (train, validation, test) = stratify
            ? StratifiedIndices(data.Labels, data.ClassCount, validationFraction, testFraction, seed)
            : Indices(data.Count, validationFraction, testFraction, seed);
        return new DataSplits(data.Subset(train), data.Subset(validation), data.Subset(test));
    }

    /// <summary>A seeded random partition of 0..count-1 into (train, validation, test) index arrays of sizes
    /// count - v - t, v = round(validationFraction count), t = round(testFraction count), for data that is not a
    /// <see cref="LabeledData"/> (regression targets, several tensors to split alike).</summary>
    public static (int[] Train, int[] Validation, int[] Test) Indices(int count, double validationFraction, double testFraction, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckFractions(validationFraction, testFraction);
        var order = Permutation(count, seed, stream: 0);
        int v = (int)Math.Round(validationFraction * count), t = (int)Math.Round(testFraction * count);
        CheckTrainingLeft(count, v, t, "the data");
        return (order[(v + t)..], order[..v], order[v..(v + t)]);
    }

    /// <summary>As <see cref="Indices"/>, per class.</summary>
    public static (int[] Train, int[] Validation, int[] Test) StratifiedIndices(IReadOnlyList<int> labels, int classCount, double validationFraction, double testFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        CheckFractions(validationFraction, testFraction);
        var byClass = new List<int>[classCount];
        for (int c = 0; c < classCount; c++) byClass[c] = [];
        for (int i = 0; i < labels.Count; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), $"example {i} has label {labels[i]}, outside [0, {classCount})");
            byClass[labels[i]].Add(i);
        }
        List<int> train = [], validation = [], test = [];
        for (int c = 0; c < classCount; c++)
        {
            var members = byClass[c];
            var order = Permutation(members.Count, seed, stream: c + 1);
            int v = (int)Math.Round(validationFraction * members.Count), t = (int)Math.Round(testFraction * members.Count);
            CheckTrainingLeft(members.Count, v, t, $"class {c}");
            for (int k = 0; k < order.Length; k++)
                (k < v ? validation : k < v + t ? test : train).Add(members[order[k]]);
        }
        // Mix the classes (each part in a seeded random order, not class by class).
        return (Shuffle(train, seed, -1), Shuffle(validation, seed, -2), Shuffle(test, seed, -3));
    }

    private static int[] Shuffle(List<int> items, long seed, long stream)
    {
        var order = Permutation(items.Count, seed, stream);
        var result = new int[items.Count];
        for (int i = 0; i < result.Length; i++) result[i] = items[order[i]];
        return result;
    }

    /// <summary>A uniformly random permutation of 0..n-1 (Fisher-Yates with SplitMix64).</summary>
    private static int[] Permutation(int n, long seed, long stream)
    {
        var rng = SplitMix64.ForStream(seed, stream);
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.NextBelow(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static void CheckFractions(double validation, double test)
    {
        if (!(validation >= 0 && validation < 1))
            throw new ArgumentOutOfRangeException(nameof(validation), validation, "the validation fraction must be in [0, 1)");
        if (!(test >= 0 && test < 1))
            throw new ArgumentOutOfRangeException(nameof(test), test, "the test fraction must be in [0, 1)");
        if (!(validation + test < 1))
            throw new ArgumentException($"validation ({validation}) and test ({test}) fractions leave nothing to train on", nameof(test));
    }

    private static void CheckTrainingLeft(int count, int v, int t, string what)
    {
        if (count > 0 && v + t >= count)
            throw new ArgumentException($"{what} has {count} examples: {v} for validation and {t} for test leave none for training");
    }
}

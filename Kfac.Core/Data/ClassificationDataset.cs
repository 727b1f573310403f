namespace Kfac.Data;

/// <summary>A classification data set split into training and test examples, with class names.</summary>
public sealed class ClassificationDataset
{
    /// <summary>The <paramref name="train"/> and <paramref name="test"/> splits (same classes, same example shape) with
    /// <paramref name="classNames"/> indexed by label; <paramref name="source"/> says where they came from.</summary>
    public ClassificationDataset(LabeledData train, LabeledData test, IReadOnlyList<string> classNames, string source)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(classNames);
        if (train.ClassCount != classNames.Count || test.ClassCount != classNames.Count)
            throw new ArgumentException($"{classNames.Count} class names, but train has {train.ClassCount} classes and test {test.ClassCount}", nameof(classNames));
        if (train.Inputs.Rank != test.Inputs.Rank || train.Inputs.Shape.Product(1, train.Inputs.Rank) != test.Inputs.Shape.Product(1, test.Inputs.Rank))
            throw new ArgumentException($"train inputs {train.Inputs.Shape} and test inputs {test.Inputs.Shape} differ beyond the example dimension", nameof(test));
        Train = train;
        Test = test;
        ClassNames = classNames;
        Source = source;
    }

    /// <summary>The training examples.</summary>
    public LabeledData Train { get; }

    /// <summary>The test examples.</summary>
    public LabeledData Test { get; }

    /// <summary>Name of each class, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Where the data came from (a directory or "embedded subset"), for logs.</summary>
    public string Source { get; }

    /// <summary>The number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <inheritdoc/>
    public override string ToString() => $"train {Train}; test {Test}; from {Source}";
}

using Kfac.Tensors;

namespace Kfac.Data;

/// <summary>Examples with class labels: <see cref="Inputs"/> has one row per example (shape [N, ...]),
/// <see cref="Labels"/>[i] in [0, <see cref="ClassCount"/>) is the class of row i.</summary>
public sealed class LabeledData
{
    /// <summary>Examples <paramref name="inputs"/> [N, ...] with class <paramref name="labels"/> in [0, <paramref name="classCount"/>).</summary>
    public LabeledData(Tensor inputs, int[] labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.Rank == 0)
            throw new ArgumentException($"inputs need a leading example dimension; got a scalar", nameof(inputs));
        if (inputs.Shape[0] != labels.Length)
            throw new ArgumentException($"inputs have {inputs.Shape[0]} examples (shape {inputs.Shape}) but there are {labels.Length} labels", nameof(labels));
        if (classCount <= 0)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "need at least one class");
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), $"example {i} has label {labels[i]}, outside [0, {classCount}) (labels are class indices 0 to {classCount - 1})");
        }
        Inputs = inputs;
        Labels = labels;
        ClassCount = classCount;
    }

    /// <summary>Examples from a user's own arrays: <paramref name="features"/>[i, j] is feature j of example i and
    /// <paramref name="labels"/>[i] its class. <paramref name="classCount"/> defaults to max(label) + 1. The
    /// inputs become a [N, features] tensor of <paramref name="dtype"/> created outside any TensorScope.</summary>
    public static LabeledData FromArrays(double[,] features, int[] labels, int? classCount = null, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.GetLength(0) != labels.Length)
            throw new ArgumentException($"features have {features.GetLength(0)} rows but there are {labels.Length} labels", nameof(labels));
        if (labels.Length == 0 && classCount is null)
            throw new ArgumentException("no examples, so the class count cannot be inferred; pass classCount", nameof(labels));
        int classes = classCount ?? labels.Max() + 1;
        Tensor inputs;
        using (TensorScope.Suspend()) inputs = Tensor.FromMatrix(features, dtype);
        return new LabeledData(inputs, labels, classes);
    }

    /// <summary>The examples at <paramref name="indices"/>, in that order (a copy, created outside any
    /// TensorScope): the building block of splits and subsets.</summary>
    public LabeledData Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int per = Inputs.Shape.Product(1, Inputs.Rank);
        var labels = new int[indices.Count];
        Tensor inputs;
        using (TensorScope.Suspend())
        {
            inputs = Tensor.Empty(Inputs.Shape.With(0, indices.Count), Inputs.DType, Inputs.Device);
            if (Inputs.DType == DType.Float32) CopyRows<float>(Inputs, inputs, indices, per, Count);
            else CopyRows<double>(Inputs, inputs, indices, per, Count);
        }
        for (int i = 0; i < labels.Length; i++) labels[i] = Labels[indices[i]];
        return new LabeledData(inputs, labels, ClassCount);
    }

    private static void CopyRows<T>(Tensor source, Tensor target, IReadOnlyList<int> indices, int per, int count) where T : unmanaged
    {
        var from = source.ToArray<T>();
        var to = new T[indices.Count * per];
        for (int i = 0; i < indices.Count; i++)
        {
            int row = indices[i];
            if ((uint)row >= (uint)count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} is {row}, outside the {count} examples");
            Array.Copy(from, (long)row * per, to, (long)i * per, per);
        }
        target.CopyFrom<T>(to);
    }

    /// <summary>[N, ...]; for image sets [N, pixels] float32 in [0, 1].</summary>
    public Tensor Inputs { get; }

    /// <summary>The class of each example.</summary>
    public int[] Labels { get; }

    /// <summary>The number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The number of examples N.</summary>
    public int Count => Labels.Length;

    /// <summary>How many examples each class has (index = class).</summary>
    public int[] CountPerClass()
    {
        var counts = new int[ClassCount];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Count} examples {Inputs.Shape}, {ClassCount} classes";
}

using Kfac.Tensors;

namespace Kfac.Data;

/// <summary>Examples with class labels: <see cref="Inputs"/> has one row per example (shape [N, ...]),
/// <see cref="Labels"/>[i] in [0, <see cref="ClassCount"/>) is the class of row i.</summary>
public sealed class LabeledData
{
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
                throw new ArgumentOutOfRangeException(nameof(labels), $"label {i} is {labels[i]}, outside [0, {classCount})");
        }
        Inputs = inputs;
        Labels = labels;
        ClassCount = classCount;
    }

    /// <summary>[N, ...]; for image sets [N, pixels] float32 in [0, 1].</summary>
    public Tensor Inputs { get; }

    public int[] Labels { get; }

    public int ClassCount { get; }

    public int Count => Labels.Length;

    /// <summary>How many examples each class has (index = class).</summary>
    public int[] CountPerClass()
    {
        var counts = new int[ClassCount];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }

    public override string ToString() => $"{Count} examples {Inputs.Shape}, {ClassCount} classes";
}

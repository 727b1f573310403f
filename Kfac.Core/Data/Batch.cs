using Kfac.Tensors;

namespace Kfac.Data;

/// <summary>
/// One mini-batch from a <see cref="DataLoader"/>. The loader owns and REUSES it: the tensors and arrays
/// are overwritten by the next batch of the same size, so copy anything that must outlive the loop step
/// (e.g. <c>batch.Inputs.Clone()</c>). There are at most two Batch objects per loader: one of the full
/// batch size and one for a smaller last batch.
/// </summary>
public sealed class Batch
{
    private readonly DataLoader _owner;

    internal Batch(DataLoader owner, Tensor inputs, int[]? labels, Tensor? targets)
    {
        _owner = owner;
        Inputs = inputs;
        Labels = labels;
        Targets = targets;
    }

    /// <summary>[Count, ...] rows of the loader's inputs.</summary>
    public Tensor Inputs { get; }

    /// <summary>Class labels of the rows (length Count), or null for a loader without labels.</summary>
    public int[]? Labels { get; }

    /// <summary>[Count, ...] regression targets of the rows, or null for a loader without targets.</summary>
    public Tensor? Targets { get; }

    /// <summary>Number of examples in this batch (the batch size, or fewer for the last one).</summary>
    public int Count => Inputs.Shape[0];

    /// <summary>Position of this batch within its epoch (0-based).</summary>
    public int Index { get; internal set; }

    /// <summary>Rows of the loader's data in this batch, in batch order.</summary>
    public ReadOnlySpan<int> ExampleIndices => _owner.OrderSlice(Index * _owner.BatchSize, Count);
}

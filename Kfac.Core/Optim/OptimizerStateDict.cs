using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>Exported optimizer state: flat tensors and string metadata, ready for a checkpoint writer.
/// Owns its tensors (snapshots); dispose it to return their buffers to the pool.</summary>
public sealed class OptimizerStateDict(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) : IDisposable
{
    /// <summary>The state tensors by key (e.g. "param.N.momentum_buffer"); owned by this object.</summary>
    public Dictionary<string, Tensor> Tensors { get; } = tensors ?? throw new ArgumentNullException(nameof(tensors));

    /// <summary>String metadata (format, step counts, learning rates, scalars) by key.</summary>
    public Dictionary<string, string> Metadata { get; } = metadata ?? throw new ArgumentNullException(nameof(metadata));

    /// <summary>Disposes every tensor in <see cref="Tensors"/>.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}

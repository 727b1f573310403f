using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// One layer's contribution to the curvature statistics on one mini-batch: its input activations, its
/// output (pre-activation) and, once a backward pass has run, dLoss/dOutput for each backward pass the
/// estimator made (one for Sampled and Empirical, one per Fisher square-root column for Exact). The
/// gradients are those of the batch-MEAN loss; per-example gradients g are batch size times these.
/// </summary>
public sealed class LayerCapture(LayerTag tag, Tensor input, Tensor output)
{
    private readonly List<Tensor> _outputGradients = [];

    /// <summary>The layer that was recorded.</summary>
    public LayerTag Tag { get; } = tag;

    /// <summary>The layer's input activations (batch first; for batch norm the normalised input).</summary>
    public Tensor Input { get; } = input;

    /// <summary>The layer's output (pre-activation s).</summary>
    public Tensor Output { get; } = output;

    /// <summary>m, the batch size (first dimension of the input).</summary>
    public int BatchSize => Input.Shape[0];

    /// <summary>dLoss/dOutput of the batch-mean loss, one per backward pass made while gradients were captured.</summary>
    public IReadOnlyList<Tensor> OutputGradients => _outputGradients;

    internal void AddOutputGradient(Tensor gradient) => _outputGradients.Add(gradient);

    internal void ClearOutputGradients() => _outputGradients.Clear();
}

namespace Kfac.Autodiff;

/// <summary>Options for one reverse-mode pass (<see cref="Kfac.Tensors.Tensor.Backward(BackwardOptions, Kfac.Tensors.Tensor?)"/>).</summary>
public sealed record BackwardOptions
{
    /// <summary>Keep the graph so Backward can run through it again (K-FAC backpropagates sampled targets
    /// and then the true loss through one forward pass).</summary>
    public bool RetainGraph { get; init; }

    /// <summary>When false, gradients stop at non-leaf tensors: parameters' .Grad is not touched and no
    /// weight-gradient GEMM runs. This is K-FAC's extra backward pass for sampled targets, which needs
    /// only the per-layer output gradients (delivered to grad hooks).</summary>
    public bool AccumulateLeafGradients { get; init; } = true;
}

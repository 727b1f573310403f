using Kfac.Tensors;

namespace Kfac.Autodiff;

/// <summary>
/// What a node's backward rule sees: which inputs need a gradient in this pass and where to put it.
/// Gradient buffers are handed out with an "accumulate" flag so rules can write with beta = 1 (GEMM)
/// or add, instead of allocating a temporary and summing afterwards.
/// </summary>
public sealed class BackwardContext
{
    private Node? _node;
    private bool _leafGradients;

    internal void Begin(Node node, bool leafGradients)
    {
        _node = node;
        _leafGradients = leafGradients;
    }

    /// <summary>Whether input i needs its gradient in this pass.</summary>
    public bool Needs(int i)
    {
        var input = _node!.Inputs[i];
        return input.RequiresGrad && (!input.IsLeaf || _leafGradients);
    }

    /// <summary>The buffer that receives input i's gradient; <paramref name="accumulate"/> says whether it
    /// already holds a partial sum (add into it) or is fresh (overwrite it).</summary>
    public Tensor GradTarget(int i, out bool accumulate)
    {
        var input = _node!.Inputs[i];
        if (input.IsLeaf)
        {
            if (input.Grad is null)
            {
                // A leaf's gradient outlives the step's scope (optimizers read it after Backward).
                using (TensorScope.Suspend()) input.Grad = Tensor.Empty(input.Shape, input.DType, input.Device);
                accumulate = false;
            }
            else accumulate = true;
            return input.Grad;
        }
        if (input.PendingGrad is null)
        {
            input.PendingGrad = Tensor.Empty(input.Shape, input.DType, input.Device);
            accumulate = false;
        }
        else accumulate = true;
        return input.PendingGrad;
    }
}

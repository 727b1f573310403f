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

    /// <summary>
    /// Hands <paramref name="grad"/> itself to input i as its gradient when the rule's result would be an exact copy of
    /// it (dA = dC for c = a + b) and nothing has been accumulated for that input yet: the copy is skipped. Only for
    /// non-leaf inputs (a leaf's gradient is a buffer that outlives the step) and only when <paramref name="grad"/> is
    /// the output gradient this node received, which the engine no longer holds once the node has run. Later
    /// consumers of the input may then add into <paramref name="grad"/>'s buffer, so a rule that aliases must read
    /// <paramref name="grad"/> for its other inputs before returning, never after. Returns false (nothing done) when the
    /// input already holds a partial sum or is a leaf; the rule then writes as usual.
    /// </summary>
    public bool TryPassThrough(int i, Tensor grad)
    {
        ArgumentNullException.ThrowIfNull(grad);
        var input = _node!.Inputs[i];
        if (input.IsLeaf || input.PendingGrad is not null || grad.Shape != input.Shape || grad.DType != input.DType) return false;
        input.PendingGrad = grad;
        return true;
    }

    /// <summary>The buffer that receives input i's gradient; <paramref name="accumulate"/> says whether it
    /// already holds a partial sum (add into it) or is fresh (overwrite it).</summary>
    public Tensor GradTarget(int i, out bool accumulate)
    {
        var input = _node!.Inputs[i];
        if (input.IsLeaf)
        {
            // A gradient zeroed by ZeroGrad is overwritten here rather than filled and added to.
            var grad = input.GradForAccumulation(out accumulate);
            if (grad is null)
            {
                // A leaf's gradient outlives the step's scope (optimizers read it after Backward).
                using (TensorScope.Suspend()) input.Grad = grad = Tensor.Empty(input.Shape, input.DType, input.Device);
                accumulate = false;
            }
            return grad;
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

using Kfac.Tensors;

namespace Kfac.Autodiff;

/// <summary>
/// Reverse-mode autodiff: orders the graph below the root topologically, then runs each node's backward
/// rule once its output gradient is complete (all consumers done), calling the tensor's grad hooks first.
/// Leaf gradients accumulate across calls (as in PyTorch); call ZeroGrad between steps.
/// </summary>
internal static class BackwardEngine
{
    [ThreadStatic] private static BackwardContext? _context;

    public static void Run(Tensor root, Tensor? gradOutput, BackwardOptions options)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"Backward on {root.Describe()}, which does not require grad (no parameter with RequiresGrad = true contributed to it, or it was computed under GradMode.Disable())");
        if (gradOutput is null && root.Numel != 1)
            throw new ArgumentException($"Backward without gradOutput needs a one-element loss; this tensor has shape {root.Shape}", nameof(gradOutput));
        if (gradOutput is not null && gradOutput.Shape != root.Shape)
            throw new ShapeMismatchException("Backward", nameof(gradOutput), root.Shape, gradOutput.Shape);

        var order = TopologicalOrder(root);
        using var noGrad = GradMode.Disable();
        var context = _context ??= new BackwardContext();

        // Seed dLoss/dRoot.
        if (root.IsLeaf)
        {
            SeedLeaf(root, gradOutput);
            return;
        }
        root.PendingGrad = Tensor.Empty(root.Shape, root.DType, root.Device);
        if (gradOutput is null) root.Backend.Fill(root.PendingGrad, 1);
        else root.Backend.Copy(gradOutput, root.PendingGrad);

        // Reverse topological order: every consumer of t has finished before t's node runs.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            var grad = t.PendingGrad;
            if (grad is null) continue; // no path from the root carried a gradient here
            t.PendingGrad = null;
            if (t.GradHooks is { Count: > 0 } hooks)
                foreach (var hook in hooks) hook(grad);
            if (t.RetainsGrad)
            {
                if (t.Grad is null) using (TensorScope.Suspend()) t.Grad = grad.Clone();
                else t.Backend.Axpby(1, grad, 1, t.Grad);
            }
            var node = t.GradFn!;
            context.Begin(node, options.AccumulateLeafGradients);
            node.RunBackward(grad, context);
            if (!options.RetainGraph) node.Release();
        }
    }

    private static void SeedLeaf(Tensor root, Tensor? gradOutput)
    {
        using (TensorScope.Suspend())
        {
            var g = gradOutput?.Clone() ?? Tensor.Ones(root.Shape, root.DType, root.Device);
            if (root.Grad is null) root.Grad = g;
            else root.Backend.Axpby(1, g, 1, root.Grad);
        }
    }

    /// <summary>Non-leaf tensors reachable from root through nodes, inputs before consumers (iterative DFS).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        if (root.IsLeaf) return order;
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn!.Inputs;
            if (next < inputs.Count)
            {
                stack.Push((t, next + 1));
                var input = inputs[next];
                if (!input.IsLeaf && input.RequiresGrad && visited.Add(input))
                    stack.Push((input, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}

using Kfac.Tensors;

namespace Kfac.Autodiff;

/// <summary>
/// A recorded op in the reverse-mode graph: it keeps its inputs (and whatever it saved from the forward
/// pass) and knows its local backward rule. Each op's node sits in the same file as its forward code.
/// </summary>
public abstract class Node
{
    private bool _released;

    protected Node(string name, params Tensor[] inputs)
    {
        Name = name;
        Inputs = inputs;
    }

    /// <summary>The op's name, for error messages and graph dumps.</summary>
    public string Name { get; }

    public IReadOnlyList<Tensor> Inputs { get; }

    internal void RunBackward(Tensor gradOutput, BackwardContext context)
    {
        if (_released)
            throw new InvalidOperationException(
                $"Backward through {Name} a second time: its saved tensors were freed after the first Backward. " +
                "Pass retainGraph: true to the first Backward if you need to backpropagate twice.");
        Backward(gradOutput, context);
    }

    /// <summary>Adds dLoss/dInput_i into context.GradTarget(i) for each input that context.Needs(i).</summary>
    protected abstract void Backward(Tensor gradOutput, BackwardContext context);

    /// <summary>Forgets saved tensors after Backward (unless the graph is retained).</summary>
    internal void Release() => _released = true;

    public override string ToString() => Name;
}

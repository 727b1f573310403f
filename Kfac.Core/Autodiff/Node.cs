using Kfac.Tensors;

namespace Kfac.Autodiff;

/// <summary>
/// A recorded op in the reverse-mode graph: it keeps its inputs (and whatever it saved from the forward
/// pass) and knows its local backward rule. Each op's node sits in the same file as its forward code.
/// </summary>
public abstract class Node
{
    private bool _released;

    /// <summary>A node named <paramref name="name"/> for an op on <paramref name="inputs"/>.</summary>
    protected Node(string name, params Tensor[] inputs)
    {
        Name = name;
        Inputs = inputs;
    }

    /// <summary>The op's name, for error messages and graph dumps.</summary>
    public string Name { get; }

    /// <summary>The op's input tensors; input i is the one whose gradient the backward rule writes to context.GradTarget(i).</summary>
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

    /// <summary>
    /// The output's tangent given the inputs' tangents (null = zero; at least one is not null), computed from the
    /// primal values the node saved: the op's forward-mode rule replayed over a recorded graph
    /// (<see cref="ForwardMode.Replay"/>), so J v needs no second primal pass. The rule is the op's eager JVP.
    /// </summary>
    protected internal virtual Tensor Tangent(IReadOnlyList<Tensor?> inputTangents) =>
        throw new NotSupportedException($"{Name} cannot replay forward mode over a recorded graph");

    /// <summary>Forgets saved tensors after Backward (unless the graph is retained).</summary>
    internal void Release() => _released = true;

    /// <summary>The op's <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}

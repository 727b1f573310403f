using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>
/// How a user asks for a parameter group: its parameters and an optional override of the optimizer's
/// default options, e.g. biases without weight decay:
/// <code>
/// new Adam(defaults, new(weights), new(biases, o => o with { WeightDecay = 0 }));
/// </code>
/// </summary>
public sealed record ParameterGroupSpec<TOptions>(IEnumerable<Tensor> Parameters, Func<TOptions, TOptions>? Override = null)
    where TOptions : OptimizerOptions;

/// <summary>
/// A parameter group as the optimizer runs it: its parameters, resolved and validated options, current
/// learning rate and optional schedule, and the per-parameter working tensors (the update buffer each
/// transform rewrites in place). State is keyed by (group index, position), see <see cref="OptimizerState.For"/>.
/// </summary>
public sealed class ParameterGroup
{
    private readonly Dictionary<Tensor, int> _positions = new(ReferenceEqualityComparer.Instance);
    private double _learningRate;

    internal ParameterGroup(int index, Tensor[] parameters, OptimizerOptions options, ParameterState[] states, Tensor[] updates, Tensor[] scratch)
    {
        Index = index;
        Params = parameters;
        Options = options;
        States = states;
        Updates = updates;
        ScratchBuffers = scratch;
        _learningRate = options.LearningRate;
        for (int i = 0; i < parameters.Length; i++) _positions.Add(parameters[i], i);
    }

    /// <summary>Position of this group in <see cref="Optimizer.Groups"/>.</summary>
    public int Index { get; }

    /// <summary>The group's parameters, in order.</summary>
    public IReadOnlyList<Tensor> Parameters => Params;

    /// <summary>Number of parameters in the group.</summary>
    public int Count => Params.Length;

    /// <summary>The validated options of this group (the defaults with the group's override applied).</summary>
    public OptimizerOptions Options { get; }

    /// <summary>The learning rate the next step uses. Starts at Options.LearningRate; when a
    /// <see cref="Schedule"/> is attached, each step first sets it to Schedule.At(step).</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, $"group {Index}: LearningRate must be finite and >= 0, got {value}");
            _learningRate = value;
        }
    }

    /// <summary>When set, every step sets <see cref="LearningRate"/> to Schedule.At(number of completed steps).</summary>
    public ILearningRateSchedule? Schedule { get; set; }

    /// <summary>The position of <paramref name="parameter"/> in this group (reference identity), or -1.
    /// Transforms that work per layer (K-FAC) use it in Init to find their parameters.</summary>
    public int IndexOf(Tensor parameter) => _positions.TryGetValue(parameter, out int i) ? i : -1;

    /// <summary>The state of parameter <paramref name="position"/> (buffers are added here in a transform's Init).</summary>
    public ParameterState State(int position) => States[position];

    internal Tensor[] Params { get; }

    internal ParameterState[] States { get; }

    internal Tensor[] Updates { get; }

    internal Tensor[] ScratchBuffers { get; }

    internal IGradientTransform[] Chain { get; set; } = [];
}

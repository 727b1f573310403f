using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>
/// Everything an optimizer remembers between steps, held explicitly (optax's state, PyTorch's
/// <c>optimizer.state</c>): per-parameter buffers keyed by parameter position, per-parameter step counts,
/// and optional global tensors and scalars (a preconditioner's curvature factors, its damping).
/// Buffers are allocated once, when the optimizer is built, on each parameter's device and dtype; steps
/// update them in place and <see cref="Optimizer.ImportState(OptimizerStateDict)"/> copies into them, so
/// references that transforms keep stay valid.
/// <para>Flat position: parameters are numbered across groups in order (group 0's first, then group 1's...),
/// as PyTorch's state_dict numbers them; <see cref="For(int, int)"/> maps (group, position) to it.</para>
/// </summary>
public sealed class OptimizerState
{
    private readonly ParameterState[] _parameters;
    private readonly int[] _groupStarts;
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _scalars = new(StringComparer.Ordinal);

    internal OptimizerState(ParameterState[] parameters, int[] groupStarts)
    {
        _parameters = parameters;
        _groupStarts = groupStarts;
    }

    /// <summary>Number of completed <see cref="Optimizer.Step"/> calls (schedules are evaluated at this value,
    /// so the first update uses <c>schedule.At(0)</c>).</summary>
    public long Step { get; internal set; }

    /// <summary>Per-parameter state in flat order.</summary>
    public IReadOnlyList<ParameterState> Parameters => _parameters;

    /// <summary>The state of parameter <paramref name="position"/> of group <paramref name="group"/>.</summary>
    public ParameterState For(int group, int position)
    {
        if ((uint)group >= (uint)(_groupStarts.Length - 1))
            throw new ArgumentOutOfRangeException(nameof(group), group, $"the optimizer has {_groupStarts.Length - 1} parameter groups");
        int count = _groupStarts[group + 1] - _groupStarts[group];
        if ((uint)position >= (uint)count)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"group {group} has {count} parameters");
        return _parameters[_groupStarts[group] + position];
    }

    /// <summary>Global tensors registered by transforms (exported under their names).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>Global scalars registered by transforms (exported as metadata under their names).</summary>
    public IReadOnlyDictionary<string, double> Scalars => _scalars;

    /// <summary>Registers a global state tensor (allocated by the caller outside any scope). Names must be
    /// unique and must not use the reserved prefixes "param." and "group.".</summary>
    public void AddTensor(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        CheckGlobalName(name);
        if (!_tensors.TryAdd(name, tensor))
            throw new ArgumentException($"optimizer state already has a tensor named '{name}'", nameof(name));
    }

    /// <summary>Registers a global scalar with its initial value.</summary>
    public void AddScalar(string name, double initialValue)
    {
        CheckGlobalName(name);
        if (!_scalars.TryAdd(name, initialValue))
            throw new ArgumentException($"optimizer state already has a scalar named '{name}'", nameof(name));
    }

    /// <summary>The value of a registered scalar.</summary>
    public double GetScalar(string name) =>
        _scalars.TryGetValue(name, out double v) ? v : throw new KeyNotFoundException($"optimizer state has no scalar '{name}' (registered: {string.Join(", ", _scalars.Keys)})");

    /// <summary>Updates a registered scalar (no allocation).</summary>
    public void SetScalar(string name, double value)
    {
        if (!_scalars.ContainsKey(name))
            throw new KeyNotFoundException($"optimizer state has no scalar '{name}'; register it with AddScalar in the transform's Init");
        _scalars[name] = value;
    }

    internal static readonly string[] ReservedKeys = ["format", "optimizer", "step", "groups"];

    private void CheckGlobalName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.StartsWith("param.", StringComparison.Ordinal) || name.StartsWith("group.", StringComparison.Ordinal) || Array.IndexOf(ReservedKeys, name) >= 0)
            throw new ArgumentException($"'{name}' is reserved for the optimizer's own state keys (param.*, group.*, {string.Join(", ", ReservedKeys)})", nameof(name));
        if (_tensors.ContainsKey(name) || _scalars.ContainsKey(name))
            throw new ArgumentException($"optimizer state already has an entry named '{name}'", nameof(name));
    }

    internal void Dispose()
    {
        foreach (var p in _parameters) p.Dispose();
        foreach (var t in _tensors.Values) t.Dispose();
    }
}

/// <summary>
/// The state of one parameter: its named buffers (PyTorch's names: "momentum_buffer", "exp_avg",
/// "exp_avg_sq", "square_avg", "grad_avg") and <see cref="Step"/>, the number of updates it has received.
/// </summary>
public sealed class ParameterState
{
    private readonly Dictionary<string, Tensor> _buffers = new(StringComparer.Ordinal);

    internal ParameterState(Tensor parameter, int flatIndex, int group, int position)
    {
        Parameter = parameter;
        FlatIndex = flatIndex;
        Group = group;
        Position = position;
    }

    /// <summary>The parameter this state belongs to.</summary>
    public Tensor Parameter { get; }

    /// <summary>Position across all groups (the N in the exported keys "param.N.*").</summary>
    public int FlatIndex { get; }

    /// <summary>Index of the parameter's group.</summary>
    public int Group { get; }

    /// <summary>Position within the group.</summary>
    public int Position { get; }

    /// <summary>Updates this parameter has received, including the one in progress during a transform's
    /// Apply (so 1 on the first update, as PyTorch's per-parameter "step"). Parameters whose gradient is null
    /// are skipped by a step and do not count it.</summary>
    public long Step { get; internal set; }

    /// <summary>The per-parameter buffers by name (e.g. "momentum_buffer", "exp_avg").</summary>
    public IReadOnlyDictionary<string, Tensor> Buffers => _buffers;

    /// <summary>The buffer called <paramref name="name"/>.</summary>
    public Tensor Buffer(string name) =>
        _buffers.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"parameter {FlatIndex} ('{Parameter.Name}') has no state buffer '{name}' (it has: {string.Join(", ", _buffers.Keys)})");

    /// <summary>Allocates a zero buffer shaped like the parameter (same device and dtype), outside any
    /// tensor scope. Called from a transform's Init; the name must be unique for this parameter.</summary>
    public Tensor AddBuffer(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('.', StringComparison.Ordinal) || name == "step" || name == "name")
            throw new ArgumentException($"buffer name '{name}' must not contain '.' nor be 'step' or 'name'", nameof(name));
        if (_buffers.ContainsKey(name))
            throw new ArgumentException($"parameter {FlatIndex} already has a state buffer '{name}' (two transforms in one chain use the same name?)", nameof(name));
        Tensor t;
        using (TensorScope.Suspend()) t = Tensor.Zeros(Parameter.Shape, Parameter.DType, Parameter.Device);
        t.Name = $"{Parameter.Name ?? "param." + FlatIndex}.{name}";
        _buffers.Add(name, t);
        return t;
    }

    internal void Dispose()
    {
        foreach (var t in _buffers.Values) t.Dispose();
    }
}

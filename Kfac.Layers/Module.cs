using Kfac.Autodiff;
using Kfac.Serialization;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>
/// A network component with explicitly registered parameters, buffers and children (no reflection),
/// PyTorch's concepts with .NET names: <see cref="Parameters"/>, <see cref="ZeroGrad"/>,
/// <see cref="StateDict"/> / <see cref="LoadStateDict"/>, <see cref="Train"/> / <see cref="Eval"/>.
/// Parameters are leaf tensors with RequiresGrad = true, created outside any TensorScope.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = [];
    private readonly List<(string Name, Tensor Tensor)> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];

    /// <summary>True in training mode (batch statistics, running averages updated), false in evaluation mode.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>The module's output for <paramref name="input"/> (recorded for backpropagation when gradients are on).</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Registers a trainable parameter (made a leaf requiring grad, named for error messages).</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!value.IsLeaf) throw new ArgumentException($"parameter '{name}' must be a leaf tensor (use Detach())", nameof(value));
        value.RequiresGrad = true;
        value.Name = name;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers non-trainable state saved in the state dict (e.g. batch-norm running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(value);
        value.Name = name;
        _buffers.Add((name, value));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/> (its parameters become "name.*") and returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(module);
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid name (non-empty, no '.')", nameof(name));
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'", nameof(name));
    }

    /// <summary>The direct children with their names, in registration order.</summary>
    public IReadOnlyList<(string Name, Module Module)> Children => _children;

    /// <summary>All parameters, depth first in registration order (the order optimizer state is keyed by).</summary>
    public IReadOnlyList<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter).ToList();

    /// <summary>Parameters with dotted names ("0.weight", "encoder.2.bias").</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in _parameters) yield return (prefix + name, p);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedParameters(prefix + name + ".")) yield return item;
    }

    /// <summary>Buffers (non-trainable state such as running statistics) with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in _buffers) yield return (prefix + name, b);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedBuffers(prefix + name + ".")) yield return item;
    }

    /// <summary>This module and its descendants, depth first.</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var (_, child) in _children)
            foreach (var m in child.Modules()) yield return m;
    }

    /// <summary>The number of trainable scalars.</summary>
    public int ParameterCount() => Parameters().Sum(p => p.Numel);

    /// <summary>Zeroes existing gradients (keeping their buffers, so steps do not allocate; see <see cref="Tensor.ZeroGrad"/>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
            p.ZeroGrad();
    }

    /// <summary>Parameters and buffers by dotted name; the tensors are the module's own (not copies).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (n, p) in NamedParameters()) d[n] = p;
        foreach (var (n, b) in NamedBuffers()) d[n] = b;
        return d;
    }

    /// <summary>Copies values into this module's tensors (float32/float64 converted as needed). Everything is
    /// validated first — missing and unexpected names, and shapes, each naming the tensor and both shapes — so a
    /// failed load changes nothing (<see cref="StateDictMismatchException"/>).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var noGrad = GradMode.Disable();
        Serialization.StateDict.CopyInto(StateDict(), state, strict);
    }

    /// <summary>Sets training mode (<paramref name="training"/>) on this module and every descendant; returns this.</summary>
    public Module Train(bool training = true)
    {
        foreach (var m in Modules()) m.IsTraining = training;
        return this;
    }

    /// <summary>Sets evaluation mode on this module and every descendant; returns this.</summary>
    public Module Eval() => Train(false);

    /// <summary>Converts every parameter and buffer to <paramref name="dtype"/> in place (e.g. Float64 for
    /// gradient checks). Gradients are dropped.</summary>
    public Module To(DType dtype, Device? device = null)
    {
        foreach (var m in Modules()) m.ConvertOwn(dtype, device);
        return this;
    }

    private void ConvertOwn(DType dtype, Device? device)
    {
        using var outside = TensorScope.Suspend();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var (name, p) = _parameters[i];
            var q = p.To(dtype, device ?? p.Device);
            q.RequiresGrad = true;
            q.Name = name;
            _parameters[i] = (name, q);
        }
        for (int i = 0; i < _buffers.Count; i++)
        {
            var (name, b) = _buffers[i];
            var q = b.To(dtype, device ?? b.Device);
            q.Name = name;
            _buffers[i] = (name, q);
        }
        OnParametersReplaced();
    }

    /// <summary>Called after <see cref="To"/> replaced the parameter tensors; layers that cache references
    /// to their parameters refresh them here.</summary>
    protected virtual void OnParametersReplaced() { }

    /// <summary>This module's own parameter <paramref name="name"/>.</summary>
    protected Tensor Parameter(string name) => _parameters.First(p => p.Name == name).Tensor;

    /// <summary>This module's own parameter <paramref name="name"/>, or null if it has none by that name.</summary>
    protected Tensor? OptionalParameter(string name) => _parameters.FirstOrDefault(p => p.Name == name).Tensor;

    /// <summary>This module's own buffer <paramref name="name"/>.</summary>
    protected Tensor Buffer(string name) => _buffers.First(b => b.Name == name).Tensor;

    /// <inheritdoc/>
    public override string ToString() => GetType().Name;
}

using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>
/// The user-facing optimizer: parameter groups, each running a chain of <see cref="IGradientTransform"/>
/// links over explicit <see cref="OptimizerState"/>. Concrete optimizers (<see cref="Sgd"/>, <see cref="Adam"/>,
/// <see cref="RmsProp"/>, K-FAC) only choose the chain from their options.
/// <code>
/// using var opt = new Adam(model.Parameters(), new AdamOptions { LearningRate = 1e-3 });
/// opt.SetSchedule(new CosineSchedule(peak: 1e-3, totalSteps: 10_000, warmupSteps: 500));
/// for (...)
/// {
///     opt.ZeroGrad();
///     using (TensorScope.Begin()) loss(model, batch).Backward();
///     if (opt.GradientsAreFinite()) opt.Step();
/// }
/// </code>
/// Step allocates nothing: update buffers, scratch and state are allocated when the optimizer is built.
/// </summary>
public abstract class Optimizer : IDisposable
{
    /// <summary>Format tag written to the "format" metadata key of exported state.</summary>
    public const string StateFormat = "kfac.optim/1";

    private readonly ParameterGroup[] _groups;
    private readonly UpdateContext _context;
    private readonly List<Tensor> _scratch = [];
    private bool _disposed;

    /// <summary>Builds the groups: validates each group's options, checks the parameters (leaf tensors that
    /// require grad, none in two groups), allocates update and scratch buffers, and runs each link's Init.</summary>
    protected Optimizer(IEnumerable<(IEnumerable<Tensor> Parameters, OptimizerOptions Options)> groups,
        Func<OptimizerOptions, IGradientTransform[]> chain)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(chain);
        var specs = groups.ToList();
        if (specs.Count == 0) throw new ArgumentException("an optimizer needs at least one parameter group", nameof(groups));

        var seen = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        var scratchByKind = new Dictionary<(Shape, DType, Device), Tensor>();
        var allStates = new List<ParameterState>();
        var starts = new int[specs.Count + 1];
        _groups = new ParameterGroup[specs.Count];
        var inits = new List<(ParameterGroup, IGradientTransform[])>();
        using (TensorScope.Suspend())
        {
            for (int g = 0; g < specs.Count; g++)
            {
                var (parameters, options) = specs[g];
                ArgumentNullException.ThrowIfNull(parameters, $"groups[{g}].Parameters");
                ArgumentNullException.ThrowIfNull(options, $"groups[{g}].Options");
                options.Validate();
                var ps = parameters.ToArray();
                starts[g] = allStates.Count;
                var states = new ParameterState[ps.Length];
                var updates = new Tensor[ps.Length];
                var scratch = new Tensor[ps.Length];
                for (int i = 0; i < ps.Length; i++)
                {
                    var p = ps[i] ?? throw new ArgumentNullException(nameof(groups), $"parameter {i} of group {g} is null");
                    if (!p.IsLeaf || !p.RequiresGrad)
                        throw new ArgumentException($"parameter {i} of group {g} ({p}) must be a leaf tensor with RequiresGrad = true", nameof(groups));
                    if (!seen.TryAdd(p, g))
                        throw new ArgumentException($"parameter {p} appears in group {seen[p]} and again in group {g}; a parameter belongs to one group", nameof(groups));
                    states[i] = new ParameterState(p, allStates.Count, g, i);
                    allStates.Add(states[i]);
                    updates[i] = Tensor.Empty(p.Shape, p.DType, p.Device);
                    if (!scratchByKind.TryGetValue((p.Shape, p.DType, p.Device), out var s))
                    {
                        s = Tensor.Empty(p.Shape, p.DType, p.Device);
                        scratchByKind.Add((p.Shape, p.DType, p.Device), s);
                        _scratch.Add(s);
                    }
                    scratch[i] = s;
                }
                _groups[g] = new ParameterGroup(g, ps, options, states, updates, scratch);
            }
            starts[specs.Count] = allStates.Count;
            State = new OptimizerState([.. allStates], starts);
            int largest = 0;
            foreach (var group in _groups)
            {
                group.Chain = chain(group.Options) ?? throw new InvalidOperationException("the chain factory returned null");
                foreach (var link in group.Chain) link.Init(group, State);
                largest = Math.Max(largest, group.Count);
            }
            _context = new UpdateContext(State, largest);
        }
    }

    /// <summary>The parameter groups, in the order given (index = <see cref="ParameterGroup.Index"/>).</summary>
    public IReadOnlyList<ParameterGroup> Groups => _groups;

    /// <summary>Global state shared by the links (step count, tensors, scalars) and the per-parameter states.</summary>
    public OptimizerState State { get; }

    /// <summary>The learning rate of group 0; setting it sets every group's (a schedule, if attached,
    /// overrides it at the next step).</summary>
    public double LearningRate
    {
        get => _groups[0].LearningRate;
        set
        {
            foreach (var g in _groups) g.LearningRate = value;
        }
    }

    /// <summary>Attaches <paramref name="schedule"/> to every group (null detaches). Schedules give absolute
    /// learning rates; give groups that need different rates their own <see cref="ParameterGroup.Schedule"/>.</summary>
    public void SetSchedule(ILearningRateSchedule? schedule)
    {
        foreach (var g in _groups) g.Schedule = schedule;
    }

    /// <summary>All parameters, in flat order.</summary>
    public IEnumerable<Tensor> Parameters()
    {
        foreach (var g in _groups)
            foreach (var p in g.Params) yield return p;
    }

    /// <summary>One update of every parameter that has a gradient (parameters with a null Grad are skipped
    /// and keep their state, as in PyTorch). Evaluates schedules at <see cref="OptimizerState.Step"/>
    /// (0 on the first call), then counts the step.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long completed = State.Step;
        using (GradMode.Disable())
        {
            foreach (var group in _groups)
            {
                if (group.Schedule is { } schedule)
                {
                    double lr = schedule.At(completed);
                    if (!(lr >= 0) || double.IsInfinity(lr))
                        throw new InvalidOperationException($"the schedule of group {group.Index} gave learning rate {lr} at step {completed}");
                    group.LearningRate = lr;
                }
                var ctx = _context;
                ctx.Begin(group, completed + 1);
                var ps = group.Params;
                for (int i = 0; i < ps.Length; i++)
                {
                    var grad = ps[i].Grad;
                    if (grad is null) continue;
                    if (grad.Numel != ps[i].Numel)
                        throw new ShapeMismatchException("Optimizer.Step", $"grad of parameter {i} of group {group.Index}", ps[i].Shape, grad.Shape);
                    if (grad.DType != ps[i].DType || grad.Device != ps[i].Device)
                        throw new InvalidOperationException($"Optimizer.Step: the grad of parameter {i} of group {group.Index} is {grad.DType} on {grad.Device}, the parameter is {ps[i].DType} on {ps[i].Device}");
                    ctx.AddActive(i);
                    group.States[i].Step++;
                    ctx.StartFromGradient(i);
                }
                if (ctx.ActiveCount > 0)
                {
                    foreach (var link in group.Chain) link.Apply(ctx);
                    double stepSize = ctx.StepSize;
                    foreach (int i in ctx.Active) ps[i].Backend.Axpby(-stepSize, ctx.CurrentUpdate(i), 1, ps[i]);
                }
                ctx.End();
            }
        }
        State.Step = completed + 1;
    }

    /// <summary>Zeroes every existing gradient, keeping the buffers so the next backward writes into them without
    /// allocating (<see cref="Tensor.ZeroGrad"/>: lazily, so the backward overwrites instead of adding to a filled
    /// zero). Parameters without a gradient keep a null Grad.</summary>
    public void ZeroGrad()
    {
        foreach (var g in _groups)
            foreach (var p in g.Params)
                p.ZeroGrad();
    }

    /// <summary>False if any gradient holds a NaN or an infinity: a training loop can skip the step (and
    /// usually lower the loss scale or learning rate) without corrupting weights or state.</summary>
    public bool GradientsAreFinite()
    {
        foreach (var g in _groups)
            foreach (var p in g.Params)
                if (p.Grad is { } grad && !grad.Backend.AllFinite(grad)) return false;
        return true;
    }

    /// <summary>Scales all gradients so that their joint 2-norm is at most <paramref name="maxNorm"/>
    /// (torch.nn.utils.clip_grad_norm_: factor maxNorm / (norm + 1e-6) when below 1). Returns the norm
    /// before clipping (NaN or infinity when gradients are not finite; then nothing is scaled).</summary>
    public double ClipGradientNorm(double maxNorm)
    {
        OptionCheck.Positive(nameof(ClipGradientNorm), maxNorm, nameof(maxNorm));
        double sumSquares = 0;
        foreach (var g in _groups)
            foreach (var p in g.Params)
                if (p.Grad is { } grad) sumSquares += grad.Backend.Dot(grad, grad);
        double norm = Math.Sqrt(sumSquares);
        if (!double.IsFinite(norm)) return norm;
        double factor = maxNorm / (norm + 1e-6);
        if (factor < 1)
            foreach (var g in _groups)
                foreach (var p in g.Params)
                    if (p.Grad is { } grad) grad.Backend.Affine(grad, factor, 0, grad);
        return norm;
    }

    /// <summary>The optimizer's name in exported state (checked on import).</summary>
    protected virtual string Kind => GetType().Name;

    /// <summary>A snapshot of the state as flat dictionaries for a checkpoint. Tensors (copies, owned by the
    /// result): "param.N.&lt;buffer&gt;" per parameter buffer (N the flat position) and the global tensors under
    /// their names. Metadata: "format", "optimizer", "step", "groups", "group.G.params", "group.G.lr",
    /// "group.G.options" (informative), "param.N.step", "param.N.name" (informative), and the global scalars.
    /// Numbers are written with round-trip precision in the invariant culture.</summary>
    public OptimizerStateDict ExportState()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = StateFormat,
            ["optimizer"] = Kind,
            ["step"] = Format(State.Step),
            ["groups"] = Format(_groups.Length),
        };
        using (TensorScope.Suspend())
        {
            foreach (var g in _groups)
            {
                meta[$"group.{g.Index}.params"] = Format(g.Count);
                meta[$"group.{g.Index}.lr"] = Format(g.LearningRate);
                meta[$"group.{g.Index}.options"] = g.Options.ToString();
            }
            foreach (var ps in State.Parameters)
            {
                meta[$"param.{ps.FlatIndex}.step"] = Format(ps.Step);
                if (ps.Parameter.Name is { } name) meta[$"param.{ps.FlatIndex}.name"] = name;
                foreach (var (buffer, t) in ps.Buffers) tensors[$"param.{ps.FlatIndex}.{buffer}"] = t.Clone();
            }
            foreach (var (name, t) in State.Tensors) tensors[name] = t.Clone();
        }
        foreach (var (name, v) in State.Scalars) meta[name] = Format(v);
        return new OptimizerStateDict(tensors, meta);
    }

    /// <summary>Restores exported state: validates everything first (format, optimizer kind, group layout,
    /// parameter names where both sides have them, every expected key present with the right shape, no
    /// unexpected tensor keys), then copies the values
    /// into the existing buffers (converting dtype and device when they differ) and restores step counts and
    /// group learning rates. Options and schedules are configuration and are not imported. Continuing after
    /// an import gives exactly the trajectory the exporting optimizer would have followed.</summary>
    public void ImportState(OptimizerStateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ImportState(state.Tensors, state.Metadata);
    }

    /// <inheritdoc cref="ImportState(OptimizerStateDict)"/>
    public void ImportState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        const string where = "ImportState";

        string format = Required(metadata, "format");
        if (format != StateFormat)
            throw new ArgumentException($"{where}: metadata 'format' is '{format}', expected '{StateFormat}'", nameof(metadata));
        string kind = Required(metadata, "optimizer");
        if (kind != Kind)
            throw new ArgumentException($"{where}: the state was exported by optimizer '{kind}', this optimizer is '{Kind}'", nameof(metadata));
        long step = ParseLong(metadata, "step");
        long groups = ParseLong(metadata, "groups");
        if (groups != _groups.Length)
            throw new ArgumentException($"{where}: the state has {groups} parameter groups, this optimizer has {_groups.Length}", nameof(metadata));
        var lrs = new double[_groups.Length];
        foreach (var g in _groups)
        {
            long count = ParseLong(metadata, $"group.{g.Index}.params");
            if (count != g.Count)
                throw new ArgumentException($"{where}: 'group.{g.Index}.params' is {count}, this optimizer's group {g.Index} has {g.Count} parameters", nameof(metadata));
            lrs[g.Index] = ParseDouble(metadata, $"group.{g.Index}.lr");
            if (!(lrs[g.Index] >= 0) || double.IsInfinity(lrs[g.Index]))
                throw new ArgumentException($"{where}: 'group.{g.Index}.lr' is {lrs[g.Index]}, expected a finite value >= 0", nameof(metadata));
        }
        var steps = new long[State.Parameters.Count];
        var expected = new List<(string Key, Tensor Destination)>();
        foreach (var ps in State.Parameters)
        {
            steps[ps.FlatIndex] = ParseLong(metadata, $"param.{ps.FlatIndex}.step");
            // State is keyed by position; names, when both sides have them, catch a reordered model.
            if (ps.Parameter.Name is { } name && metadata.TryGetValue($"param.{ps.FlatIndex}.name", out var saved) && saved != name)
                throw new ArgumentException($"{where}: 'param.{ps.FlatIndex}.name' is '{saved}' but parameter {ps.FlatIndex} of this optimizer is '{name}' " +
                    "(parameters in a different order? remove the name keys to import by position regardless)", nameof(metadata));
            foreach (var (buffer, t) in ps.Buffers) expected.Add(($"param.{ps.FlatIndex}.{buffer}", t));
        }
        foreach (var (name, t) in State.Tensors) expected.Add((name, t));
        var scalars = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var name in State.Scalars.Keys) scalars[name] = ParseDouble(metadata, name);

        var expectedKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, destination) in expected)
        {
            expectedKeys.Add(key);
            if (!tensors.TryGetValue(key, out var source) || source is null)
                throw new KeyNotFoundException($"{where}: the state has no tensor '{key}' (expected shape {destination.Shape}, {destination.DType})");
            if (source.Shape != destination.Shape)
                throw new ShapeMismatchException(where, key, destination.Shape, source.Shape, $"state tensor '{key}' has shape {source.Shape}, this optimizer's '{destination.Name}' has shape {destination.Shape}");
        }
        var unexpected = tensors.Keys.Where(k => !expectedKeys.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
            throw new ArgumentException($"{where}: unexpected state tensor(s) {string.Join(", ", unexpected.Select(k => $"'{k}'"))} (a different chain or options, e.g. momentum on one side only?)", nameof(tensors));

        // Everything checked: commit.
        using (TensorScope.Suspend())
        {
            foreach (var (key, destination) in expected)
            {
                var source = tensors[key];
                if (source.DType == destination.DType && source.Device == destination.Device) destination.CopyFrom(source);
                else
                {
                    using var converted = source.To(destination.DType, destination.Device);
                    destination.CopyFrom(converted);
                }
            }
        }
        State.Step = step;
        foreach (var ps in State.Parameters) ps.Step = steps[ps.FlatIndex];
        foreach (var g in _groups) g.LearningRate = lrs[g.Index];
        foreach (var (name, v) in scalars) State.SetScalar(name, v);
        foreach (var g in _groups)
            foreach (var link in g.Chain) link.OnStateImported(g, State);
    }

    /// <summary>Returns the update and scratch buffers and the state's tensors to the pool (idempotent).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var g in _groups)
            foreach (var u in g.Updates) u.Dispose();
        foreach (var s in _scratch) s.Dispose();
        State.Dispose();
        GC.SuppressFinalize(this);
    }

    private static string Format(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Format(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static string Required(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var v) && v is not null ? v
        : throw new KeyNotFoundException($"ImportState: the state metadata has no key '{key}'");

    private static long ParseLong(IReadOnlyDictionary<string, string> metadata, string key)
    {
        string text = Required(metadata, key);
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long v) && v >= 0
            ? v
            : throw new FormatException($"ImportState: metadata '{key}' is '{text}', expected a non-negative integer");
    }

    private static double ParseDouble(IReadOnlyDictionary<string, string> metadata, string key)
    {
        string text = Required(metadata, key);
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)
            ? v
            : throw new FormatException($"ImportState: metadata '{key}' is '{text}', expected a number");
    }
}

/// <summary>
/// A typed optimizer: its defaults and each group's options are <typeparamref name="TOptions"/>.
/// </summary>
public abstract class Optimizer<TOptions> : Optimizer where TOptions : OptimizerOptions
{
    /// <summary>Resolves each group's options from <paramref name="defaults"/> and builds its links with <paramref name="chain"/>.</summary>
    protected Optimizer(TOptions defaults, IEnumerable<ParameterGroupSpec<TOptions>> groups, Func<TOptions, IGradientTransform[]> chain)
        : base(Resolve(defaults, groups), o => chain((TOptions)o))
    {
        Defaults = defaults;
    }

    /// <summary>The options groups start from (before their overrides).</summary>
    public TOptions Defaults { get; }

    /// <summary>The resolved options of group <paramref name="group"/>.</summary>
    public TOptions OptionsOf(int group) => (TOptions)Groups[group].Options;

    private static IEnumerable<(IEnumerable<Tensor>, OptimizerOptions)> Resolve(TOptions defaults, IEnumerable<ParameterGroupSpec<TOptions>> groups)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(groups);
        var list = new List<(IEnumerable<Tensor>, OptimizerOptions)>();
        foreach (var spec in groups)
        {
            ArgumentNullException.ThrowIfNull(spec, nameof(groups));
            var options = spec.Override is null ? defaults : spec.Override(defaults);
            list.Add((spec.Parameters, options ?? throw new ArgumentException("a group's options override returned null", nameof(groups))));
        }
        return list;
    }
}

using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>
/// One link of an update pipeline (optax's GradientTransformation, made in-place). A step starts each
/// parameter's update from its gradient, runs the group's links in order, each rewriting the update
/// (<see cref="UpdateContext.Update"/>) in place or reading it (<see cref="UpdateContext.CurrentUpdate"/>) and handing
/// it on in a buffer of its own (<see cref="UpdateContext.HoldUpdateIn"/>), and finally applies p -= StepSize * update. The built-in chains are
/// <code>
/// SGD      AddWeightDecay (L2) -> Momentum
/// Adam     AddWeightDecay (L2) -> ScaleByAdam                 (or ScaleByAdam -> AddWeightDecay for AdamW)
/// RMSProp  AddWeightDecay (L2) -> ScaleByRms -> Momentum
/// K-FAC    AddWeightDecay (L2) -> K-FAC preconditioner -> Momentum   (StepSize = learning rate, or a link sets it)
/// </code>
/// The learning rate enters last, as the scalar <see cref="UpdateContext.StepSize"/> (PyTorch's p -= lr * buf):
/// a link that chooses its own step (K-FAC's quadratic model, ACKTR's KL clipping) reads or overwrites it.
/// <para>An instance serves one parameter group (its hyperparameters and cached state references are that
/// group's). Init runs once, outside any tensor scope; Apply runs every step under GradMode.Disable() and
/// must not allocate tensors: allocate buffers in Init.</para>
/// </summary>
public interface IGradientTransform
{
    /// <summary>Allocates this link's state for <paramref name="group"/>: per-parameter buffers with
    /// <c>group.State(i).AddBuffer(name)</c>, global tensors and scalars with
    /// <see cref="OptimizerState.AddTensor"/> / <see cref="OptimizerState.AddScalar"/>.</summary>
    void Init(ParameterGroup group, OptimizerState state);

    /// <summary>Rewrites <see cref="UpdateContext.Update"/> for the parameters in <see cref="UpdateContext.Active"/>.</summary>
    void Apply(UpdateContext context);

    /// <summary>Called after <see cref="Optimizer.ImportState(OptimizerStateDict)"/> replaced the state's
    /// values (a preconditioner recomputes caches derived from imported statistics here).</summary>
    void OnStateImported(ParameterGroup group, OptimizerState state) { }
}

/// <summary>
/// What a transform sees during one step of one group. One instance per optimizer is reused for every
/// group and step (no allocation).
/// </summary>
public sealed class UpdateContext
{
    private ParameterGroup? _group;
    private readonly int[] _active;
    private int _activeCount;

    // Where a parameter's update lives while it is not in its update buffer: the gradient itself when the chain starts
    // (copied only when a link asks to rewrite it), or a buffer a link has declared to hold it (momentum's buf). So a
    // chain like momentum SGD reads the gradient once and writes no copies: two passes over the parameters instead of
    // four. Null: the update buffer holds it.
    private readonly Tensor?[] _heldBy;

    internal UpdateContext(OptimizerState state, int largestGroup)
    {
        State = state;
        _active = new int[largestGroup];
        _heldBy = new Tensor?[largestGroup];
    }

    /// <summary>The 1-based index of the step in progress (the optimizer's completed steps + 1).</summary>
    public long Step { get; private set; }

    /// <summary>The group being stepped; throws <see cref="InvalidOperationException"/> outside a step.</summary>
    public ParameterGroup Group => _group ?? throw new InvalidOperationException("no step in progress");

    /// <summary>The optimizer's state (global tensors and scalars, per-parameter buffers).</summary>
    public OptimizerState State { get; }

    /// <summary>The group's learning rate for this step (after its schedule, if any).</summary>
    public double LearningRate { get; private set; }

    /// <summary>The multiplier of the final application p -= StepSize * update. Starts as <see cref="LearningRate"/>;
    /// a link may rescale it (trust region, KL clipping) or set it (an adaptive step that already scaled the update).</summary>
    public double StepSize { get; set; }

    /// <summary>Positions (within the group) of the parameters that have a gradient this step; the others are skipped.</summary>
    public ReadOnlySpan<int> Active => _active.AsSpan(0, _activeCount);

    /// <summary>The parameter at <paramref name="position"/> within the group.</summary>
    public Tensor Parameter(int position) => Group.Params[position];

    /// <summary>The parameter's gradient (read-only by convention; links transform <see cref="Update"/>).</summary>
    public Tensor Gradient(int position) => Group.Params[position].Grad!;

    /// <summary>The update buffer of a parameter: the gradient when the chain starts; links rewrite it in place. (The
    /// update is copied into the buffer here, on the first call of the step, if it was still held elsewhere.)</summary>
    public Tensor Update(int position)
    {
        var buffer = Group.Updates[position];
        if (_heldBy[position] is { } holder)
        {
            holder.Backend.Copy(holder, buffer);
            _heldBy[position] = null;
        }
        return buffer;
    }

    /// <summary>The parameter's current update, to read only (not to write): the gradient, the update buffer, or the
    /// buffer a link declared with <see cref="HoldUpdateIn"/>. Reading through this instead of <see cref="Update"/>
    /// spares the copy of the gradient into the update buffer.</summary>
    public Tensor CurrentUpdate(int position) => _heldBy[position] ?? Group.Updates[position];

    /// <summary>Declares that <paramref name="holder"/> (a buffer of the calling link, shaped like the parameter) now holds
    /// the parameter's update, instead of copying it into the update buffer; the link must leave it unchanged until the
    /// step ends (a later link that rewrites the update gets a copy through <see cref="Update"/>).</summary>
    public void HoldUpdateIn(int position, Tensor holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        var parameter = Group.Params[position];
        if (holder.Numel != parameter.Numel || holder.DType != parameter.DType || holder.Device != parameter.Device)
            throw new ArgumentException($"HoldUpdateIn: holder {holder.Shape} {holder.DType} on {holder.Device} does not match parameter {position} ({parameter.Shape} {parameter.DType} on {parameter.Device})", nameof(holder));
        _heldBy[position] = holder;
    }

    /// <summary>Starts the chain of the parameter at <paramref name="position"/> from its gradient, held where it is.</summary>
    internal void StartFromGradient(int position) => _heldBy[position] = Group.Params[position].Grad!;

    /// <summary>A temporary shaped like the parameter, shared by parameters of the same shape, dtype and
    /// device: valid only while the caller works on this one parameter.</summary>
    public Tensor Scratch(int position) => Group.ScratchBuffers[position];

    /// <summary>The per-parameter state (buffers, update count) at <paramref name="position"/> within the group.</summary>
    public ParameterState ParameterState(int position) => Group.States[position];

    internal void Begin(ParameterGroup group, long step)
    {
        _group = group;
        Step = step;
        LearningRate = group.LearningRate;
        StepSize = group.LearningRate;
        _activeCount = 0;
    }

    internal void AddActive(int position) => _active[_activeCount++] = position;

    internal int ActiveCount => _activeCount;

    internal void End()
    {
        _group = null;
        Array.Clear(_heldBy);
    }
}

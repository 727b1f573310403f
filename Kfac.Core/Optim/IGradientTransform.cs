using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>
/// One link of an update pipeline (optax's GradientTransformation, made in-place). A step copies each
/// parameter's gradient into its update buffer, runs the group's links in order, each rewriting the update
/// buffers in place, and finally applies p -= StepSize * update. The built-in chains are
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

    internal UpdateContext(OptimizerState state, int largestGroup)
    {
        State = state;
        _active = new int[largestGroup];
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

    /// <summary>The update buffer of a parameter: the gradient when the chain starts; links rewrite it in place.</summary>
    public Tensor Update(int position) => Group.Updates[position];

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

    internal void End() => _group = null;
}

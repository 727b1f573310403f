using Kfac.Linalg;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// One diagonal block of the approximate Fisher, covering the parameters of one or more layer tags.
/// The contract is small: update statistics from a batch's captures, refresh the cached inverse for a
/// damping strength, multiply a vector by a damped power of the block. The public non-virtual methods
/// hold the invariants (EMA weights, validation, retry with more damping when a factor is not positive
/// definite); derived blocks implement only the math in the protected methods.
/// </summary>
public abstract class CurvatureBlock
{
    private const int MaxDampingRetries = 6;

    /// <summary>A block over the parameters of <paramref name="tags"/> (at least one; in capture order).</summary>
    protected CurvatureBlock(IReadOnlyList<LayerTag> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count == 0) throw new ArgumentException("a curvature block covers at least one layer", nameof(tags));
        Tags = tags;
    }

    /// <summary>The layer tags this block covers, in the order their captures must be passed to <see cref="UpdateStatistics"/>.</summary>
    public IReadOnlyList<LayerTag> Tags { get; }

    /// <summary>The parameters covered, in the order vectors passed to <see cref="MultiplyByDampedPower"/> use.</summary>
    public IReadOnlyList<Tensor> Parameters => Tags.SelectMany(t => t.Parameters).ToList();

    /// <summary>Number of statistics updates so far (k in eps = min(1 - 1/k, decay)).</summary>
    public int UpdateCount { get; protected set; }

    /// <summary>The damping strength the cached inverse was computed with (after any retries), or NaN.</summary>
    public double InverseDamping { get; protected set; } = double.NaN;

    /// <summary>How many times the last refresh had to raise the damping to get a positive-definite factor.</summary>
    public int LastRefreshRetries { get; private set; }

    /// <summary>True once <see cref="RefreshInverse"/> has succeeded (<see cref="InverseDamping"/> is not NaN).</summary>
    public bool HasInverse => !double.IsNaN(InverseDamping);

    /// <summary>A readable name of the block and its layers, for logs and error messages.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Folds one batch's statistics into the exponential moving averages with weight
    /// eps = min(1 - 1/k, <paramref name="decay"/>) on the old value (k counts updates from 1, so the first
    /// update replaces the zero initial state: the debiased start of MATH.md).
    /// </summary>
    public void UpdateStatistics(IReadOnlyList<LayerCapture> captures, double decay)
    {
        ArgumentNullException.ThrowIfNull(captures);
        if (!(decay >= 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "EMA decay must be in [0, 1)");
        if (captures.Count != Tags.Count)
            throw new ArgumentException($"{Description} expects {Tags.Count} captures, got {captures.Count}", nameof(captures));
        for (int i = 0; i < captures.Count; i++)
        {
            if (!ReferenceEquals(captures[i].Tag, Tags[i]))
                throw new ArgumentException($"{Description}: capture {i} is for {captures[i].Tag}, expected {Tags[i]}", nameof(captures));
            if (captures[i].OutputGradients.Count == 0)
                throw new InvalidOperationException($"{Description}: capture of {Tags[i]} has no output gradients; run a backward pass with the recorder capturing gradients first");
        }
        int k = UpdateCount + 1;
        double eps = Math.Min(1 - 1.0 / k, decay);
        AccumulateStatistics(captures, eps);
        UpdateCount = k;
    }

    /// <summary>
    /// Recomputes the cached damped inverse for damping strength <paramref name="gamma"/>. If a damped factor is
    /// still not positive definite (or not even in double precision), the damping is raised tenfold and the
    /// inverse retried, up to six times; <see cref="InverseDamping"/> reports what was used.
    /// </summary>
    public void RefreshInverse(double gamma)
    {
        if (!(gamma >= 0) || double.IsInfinity(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "damping must be finite and >= 0");
        if (UpdateCount == 0) throw new InvalidOperationException($"{Description}: RefreshInverse before any statistics update");
        double g = gamma;
        RefreshCount++;
        ReleaseInverseHold();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                ComputeInverse(g);
                InverseDamping = g;
                LastRefreshRetries = attempt;
                return;
            }
            catch (NotPositiveDefiniteException) when (attempt < MaxDampingRetries)
            {
                g = Math.Max(g * 10, 1e-8);
            }
        }
    }

    /// <summary>
    /// Discards the statistics and the cached inverse (every state tensor zeroed, k = 0, no inverse): the next
    /// <see cref="UpdateStatistics"/> starts the moving averages afresh. The optimizer does this to a block whose
    /// inverse cannot be computed even with raised damping in float64 (factors that overflowed or went non-finite),
    /// rather than keep folding new batches into a ruined average.
    /// </summary>
    public void ResetStatistics()
    {
        ReleaseInverseHold();
        foreach (var (_, t) in StateTensors()) t.Backend.Fill(t, 0);
        UpdateCount = 0;
        InverseDamping = double.NaN;
    }

    private Tensor[]? _kept;
    private object? _keptState;
    private double _keptDamping = double.NaN;

    /// <summary>
    /// Copies the cached inverse aside so that <see cref="RestoreKeptInverse"/> can bring it back after later
    /// refreshes without recomputing it: the gamma trials of Martens and Grosse (2015, section 6.6) refresh the
    /// inverses once per candidate, and the best candidate is rarely the last one tried. Returns false (and keeps
    /// nothing) when the block cannot do this or has no inverse yet; the caller then recomputes instead.
    /// The spare buffers are allocated on first use and reused.
    /// </summary>
    public bool KeepInverse()
    {
        if (!CanKeepInverse || !HasInverse) return false;
        var current = InverseTensors;
        if (_kept is null || _kept.Length != current.Count)
        {
            using var outside = TensorScope.Suspend();
            _kept = current.Select(Tensor.EmptyLike).ToArray();
        }
        for (int i = 0; i < current.Count; i++) current[i].Backend.Copy(current[i], _kept[i]);
        _keptState = InverseState;
        _keptDamping = InverseDamping;
        return true;
    }

    /// <summary>Makes the inverse kept by the last successful <see cref="KeepInverse"/> the cached inverse again.</summary>
    public void RestoreKeptInverse()
    {
        if (double.IsNaN(_keptDamping) || _kept is null)
            throw new InvalidOperationException($"{Description}: RestoreKeptInverse without a kept inverse (KeepInverse returned false or was not called)");
        ReleaseInverseHold();
        var current = InverseTensors;
        for (int i = 0; i < current.Count; i++) current[i].Backend.Copy(_kept[i], current[i]);
        InverseState = _keptState;
        InverseDamping = _keptDamping;
    }

    /// <summary>How many times <see cref="RefreshInverse"/> has been called on this block (distributed K-FAC computes
    /// each block's inverse on one rank only: the tests count).</summary>
    public long RefreshCount { get; private set; }

    /// <summary>
    /// The moving averages of the statistics (the Kronecker factors, a full or diagonal Fisher, a chain's cross
    /// factors), without the cached inverses: what distributed K-FAC all-reduces so every rank holds the factors of
    /// the whole batch. Each is an EMA of per-batch means, so the n_r/B-weighted sum over ranks of these tensors,
    /// when the ranks started from the same state, is the EMA of the whole batch's mean (MATH.md, distributed).
    /// Blocks outside Kfac.Core override this; the default names the block that does not.
    /// </summary>
    public virtual IEnumerable<Tensor> StatisticsTensors() =>
        throw new NotSupportedException($"{Description} ({GetType().Name}) does not list its statistics tensors: override CurvatureBlock.StatisticsTensors to train it with distributed K-FAC");

    /// <summary>Whether every tensor of <see cref="StatisticsTensors"/> is a symmetric square matrix, so distributed
    /// K-FAC moves only its lower triangle (half the message; <see cref="Distributed.PackedTensors"/> mirrors it on
    /// arrival). False by default; K-FAC's Kronecker factors and a full Fisher declare it.</summary>
    public virtual bool StatisticsAreSymmetric => false;

    /// <summary>The statistics of <paramref name="blocks"/> as one message: each tensor whole, or its lower triangle
    /// when its block's statistics are symmetric.</summary>
    internal static Distributed.PackedTensors StatisticsMessage(IEnumerable<CurvatureBlock> blocks) =>
        new(blocks.SelectMany(b => b.StatisticsTensors().Select(t => (t, b.StatisticsAreSymmetric))));

    /// <summary>Whether the whole cached inverse lies in buffers (<see cref="InverseTensors"/>; none with eigenbasis
    /// damping, whose decomposition is an object) plus the checkpoint scalars, so one rank can compute it and broadcast it to the others.</summary>
    public bool InverseIsBroadcastable => CanKeepInverse && InverseTensors.Count > 0;

    /// <summary>The buffers holding the cached inverse (for broadcasting; see <see cref="InverseIsBroadcastable"/>).</summary>
    internal IReadOnlyList<Tensor> InverseBuffers => InverseTensors;

    /// <summary>The inverse buffers of <paramref name="blocks"/> as one broadcast message: each whole, or its lower
    /// triangle when <see cref="InverseTensorsAreSymmetric"/>.</summary>
    internal static Distributed.PackedTensors InverseMessage(IEnumerable<CurvatureBlock> blocks) =>
        new(blocks.SelectMany(b => b.InverseTensors.Select(t => (t, b.InverseTensorsAreSymmetric))));

    /// <summary>Work of one <see cref="RefreshInverse"/> in flops (about n^3 per n x n SPD inverse), so a scheduler can
    /// order refreshes largest first; 0 when unknown.</summary>
    public virtual double InverseCost => 0;

    /// <summary>True when <see cref="RefreshInverse"/> only runs backend kernels on the block's own tensors (no tensor
    /// allocation, no state shared with other blocks), so refreshes of different blocks may run on different threads
    /// (see <see cref="ConcurrentInverseRefresh"/>). False by default.</summary>
    public virtual bool RefreshIsThreadSafe => false;

    /// <summary>Whether <see cref="InverseTensors"/> and <see cref="InverseState"/> capture the whole cached inverse.</summary>
    protected virtual bool CanKeepInverse => false;

    /// <summary>The buffers the cached inverse is written into in place (their contents are copied aside).</summary>
    protected virtual IReadOnlyList<Tensor> InverseTensors => [];

    /// <summary>Whether every tensor of <see cref="InverseTensors"/> is an exactly symmetric square matrix, so a
    /// broadcast of the inverse moves only its lower triangle. False by default.</summary>
    protected virtual bool InverseTensorsAreSymmetric => false;

    /// <summary>The rest of the cached inverse (pi, an eigendecomposition replaced at each refresh), kept by reference.</summary>
    protected virtual object? InverseState { get => null; set { } }

    /// <summary>result = scale (block + damping)^power vector, with power 1 (uses the current statistics and the
    /// damping of the last refresh) or -1 (uses the cached inverse). Vectors are lists of tensors shaped like
    /// <see cref="Parameters"/>; <paramref name="scale"/> costs nothing extra where it folds into a GEMM (the
    /// optimizer asks for -F^-1 grad directly).</summary>
    public void MultiplyByDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale = 1)
    {
        var ps = Parameters;
        CheckVector(vector, ps, nameof(vector));
        CheckVector(result, ps, nameof(result));
        if (power != 1 && power != -1 && !SupportsPower(power))
            throw new ArgumentOutOfRangeException(nameof(power), power, $"{Description} supports damped powers 1 and -1");
        if (!HasInverse) throw new InvalidOperationException($"{Description}: call RefreshInverse before multiplying by a damped power");
        if (!double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be finite");
        if (power < 0) HoldInverse();
        ApplyDampedPower(vector, result, power, scale);
    }

    private IDisposable? _inverseHold;

    /// <summary>
    /// Declares the cached inverse constant until it next changes (<see cref="IBackend.HoldConstant"/>), so the
    /// backend packs it once as a product operand instead of at every step's preconditioning. Every path that
    /// writes the inverse tensors releases the hold first: a refresh, <see cref="RestoreKeptInverse"/>,
    /// <see cref="ResetStatistics"/> and <see cref="StateReplaced"/> (a checkpoint import).
    /// </summary>
    private void HoldInverse()
    {
        if (_inverseHold is not null) return;
        var inverses = InverseTensors;
        if (inverses.Count > 0) _inverseHold = inverses[0].Backend.HoldConstant(inverses);
    }

    private void ReleaseInverseHold()
    {
        _inverseHold?.Dispose();
        _inverseHold = null;
    }

    /// <summary>Called before the block's state tensors are overwritten from outside (a checkpoint import).</summary>
    internal void StateReplaced() => ReleaseInverseHold();

    /// <summary>
    /// Loads checkpointed state into this block through its own contract, whatever its kind: allocates the state
    /// (<see cref="AllocateState"/>), releases any held inverse, copies each tensor <see cref="StateTensors"/> names from
    /// <paramref name="tensor"/>(name, expected shape) (converted to the block's dtype and device), restores the scalars
    /// <see cref="StateScalars"/> names from <paramref name="scalar"/>(name), and rebuilds what is derived
    /// (<see cref="AfterStateLoaded"/>). The export side is <see cref="StateTensors"/> and <see cref="StateScalars"/>.
    /// A source tensor of another shape is refused with a <see cref="ShapeMismatchException"/> naming the entry.
    /// </summary>
    public void LoadState(Func<string, Shape, Tensor> tensor, Func<string, double> scalar)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(scalar);
        AllocateState();
        StateReplaced();
        foreach (var (name, value) in StateTensors())
        {
            var source = tensor(name, value.Shape);
            if (source.Shape != value.Shape)
                throw new ShapeMismatchException($"{Description}: state tensor '{name}' has shape {source.Shape} but the block's has shape {value.Shape}", nameof(tensor));
            if (source.DType == value.DType && source.Device == value.Device) value.CopyFrom(source);
            else
                using (TensorScope.Begin()) value.CopyFrom(source.To(value.DType, value.Device));
        }
        LoadStateScalars(StateScalars().Select(s => s.Name).ToDictionary(n => n, scalar));
        AfterStateLoaded();
    }

    /// <summary>Creates the state tensors that <see cref="StateTensors"/> lists, for blocks that otherwise allocate them
    /// on their first statistics, so a checkpoint can be loaded into a fresh block. Default: nothing to do.</summary>
    public virtual void AllocateState() { }

    /// <summary>Called after imported state tensors and scalars were copied in: rebuild whatever is derived from them
    /// and not saved (e.g. a host-side inverse). Default: nothing to do.</summary>
    public virtual void AfterStateLoaded() { }

    /// <summary>result *= scale (for blocks whose product has no GEMM to fold the scale into).</summary>
    protected static void ScaleInPlace(IReadOnlyList<Tensor> result, double scale)
    {
        if (scale == 1) return;
        foreach (var r in result) r.Backend.Affine(r, scale, 0, r);
    }

    private void CheckVector(IReadOnlyList<Tensor> v, IReadOnlyList<Tensor> ps, string name)
    {
        ArgumentNullException.ThrowIfNull(v, name);
        if (v.Count != ps.Count) throw new ArgumentException($"{Description}: '{name}' has {v.Count} tensors, the block has {ps.Count} parameters", name);
        for (int i = 0; i < ps.Count; i++)
            if (v[i].Shape != ps[i].Shape)
                throw new ShapeMismatchException($"{Description}", name, ps[i].Shape, v[i].Shape, $"tensor {i} ({ps[i].Name})");
    }

    /// <summary>Whether the block can apply damped powers other than +-1 (eigenbasis damping can).</summary>
    protected virtual bool SupportsPower(double power) => false;

    /// <summary>Folds one batch's captures into the statistics: S = eps S + (1 - eps) S_batch for each factor.</summary>
    protected abstract void AccumulateStatistics(IReadOnlyList<LayerCapture> captures, double eps);

    /// <summary>Computes the cached damped inverse for damping strength <paramref name="gamma"/> (gamma^2 on the block); may throw <see cref="NotPositiveDefiniteException"/>, which makes <see cref="RefreshInverse"/> retry with more damping.</summary>
    protected abstract void ComputeInverse(double gamma);

    /// <summary>result = scale (block + damping)^power vector; arguments already checked by <see cref="MultiplyByDampedPower"/>.</summary>
    protected abstract void ApplyDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale);

    /// <summary>The block's persistent state (factors, cached inverses) by name, for checkpoints.</summary>
    public abstract IEnumerable<(string Name, Tensor Value)> StateTensors();

    /// <summary>Scalar state for checkpoints.</summary>
    public virtual IEnumerable<(string Name, double Value)> StateScalars()
    {
        yield return ("update_count", UpdateCount);
        yield return ("inverse_damping", InverseDamping);
    }

    /// <summary>Restores the scalars written by <see cref="StateScalars"/> (update_count, inverse_damping) from a checkpoint.</summary>
    public virtual void LoadStateScalars(IReadOnlyDictionary<string, double> scalars)
    {
        UpdateCount = (int)scalars["update_count"];
        InverseDamping = scalars["inverse_damping"];
    }

    /// <summary>The block's <see cref="Description"/>.</summary>
    public override string ToString() => Description;
}

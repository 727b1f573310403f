using Kfac.Autodiff;

namespace Kfac.Tensors;

/// <summary>
/// A contiguous, row-major n-dimensional array of float32 (the training type) or float64 on a
/// <see cref="Device"/>, with optional reverse-mode (<see cref="Grad"/>) and forward-mode
/// (<see cref="Tangent"/>) derivatives. Ops live in <see cref="Kfac.Ops"/> and as methods here.
/// <para>Lifetime: buffers come from the device's pool. Tensors created inside a <see cref="TensorScope"/>
/// return their buffers when the scope ends; tensors created outside any scope (parameters,
/// optimizer state) live until disposed or collected.</para>
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private Storage? _storage;
    private Tensor? _tangent;
    private bool _requiresGrad;

    internal Tensor(Storage storage, Shape shape)
    {
        if (shape.Numel > storage.Length)
            throw new ArgumentException($"shape {shape} needs {shape.Numel} elements but the storage holds {storage.Length}", nameof(shape));
        _storage = storage;
        storage.AddReference();
        Shape = shape;
        TensorScope.Register(this);
    }

    /// <summary>The dimensions, outermost first (row-major).</summary>
    public Shape Shape { get; }

    /// <summary>Number of elements (product of the dimensions).</summary>
    public int Numel => Shape.Numel;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => Shape.Rank;

    /// <summary>Element type of the storage.</summary>
    public DType DType => Storage.DType;

    /// <summary>Device whose memory holds the elements.</summary>
    public Device Device => Storage.Device;

    /// <summary>The backend that computes on this tensor's device.</summary>
    public IBackend Backend => Storage.Device.Backend;

    /// <summary>An optional name (parameters carry theirs; error messages use it).</summary>
    public string? Name { get; set; }

    internal Storage Storage => _storage ?? throw new ObjectDisposedException(
        $"tensor {Describe()}", "the tensor was disposed (its TensorScope ended?); call MoveToOuterScope() or Detach().Keep() to keep a result");

    /// <summary>True after <see cref="Dispose"/> (the storage reference was released).</summary>
    public bool IsDisposed => _storage is null;

    /// <summary>The node that produced this tensor (null for leaves and for results computed without grad).</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True for tensors no op produced (parameters, inputs, detached tensors): <see cref="GradFn"/> is null.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Whether gradients flow to this tensor. Settable on leaves only (parameters).</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!IsLeaf)
                throw new InvalidOperationException($"RequiresGrad can only be set on a leaf tensor; {Describe()} was produced by {GradFn!.Name}. Use Detach() first.");
            if (value && DType is not (DType.Float32 or DType.Float64))
                throw new InvalidOperationException("only floating-point tensors can require gradients");
            _requiresGrad = value;
        }
    }

    internal void MarkRequiresGrad(Node node)
    {
        GradFn = node;
        _requiresGrad = true;
    }

    private Tensor? _grad;
    private bool _gradZeroPending;

    /// <summary>The accumulated gradient (leaves, or non-leaves after <see cref="RetainGrad"/>). After
    /// <see cref="ZeroGrad"/> it reads as zeros.</summary>
    public Tensor? Grad
    {
        get
        {
            if (_gradZeroPending)
            {
                _gradZeroPending = false;
                _grad!.Backend.Fill(_grad, 0);
            }
            return _grad;
        }
        set
        {
            _grad = value;
            _gradZeroPending = false;
        }
    }

    /// <summary>
    /// Zeroes <see cref="Grad"/> (keeping its buffer) without a pass over it now: the next read of Grad fills the
    /// zeros, and a backward pass that reaches this tensor first overwrites the buffer instead of adding to zeros, so
    /// a training step's gradients are written once instead of zero-filled, read and written (a parameter-sized pass
    /// saved per step). Nothing to do when there is no gradient yet.
    /// </summary>
    public void ZeroGrad()
    {
        if (_grad is not null) _gradZeroPending = true;
    }

    /// <summary>For the backward engine: the gradient buffer (null when there is none yet) and whether it holds a sum
    /// to add to; false after <see cref="ZeroGrad"/>, whose pending fill this claims (the caller overwrites).</summary>
    internal Tensor? GradForAccumulation(out bool accumulate)
    {
        accumulate = _grad is not null && !_gradZeroPending;
        _gradZeroPending = false;
        return _grad;
    }

    internal bool RetainsGrad { get; private set; }

    /// <summary>Keep this non-leaf tensor's gradient in <see cref="Grad"/> after Backward.</summary>
    public void RetainGrad() => RetainsGrad = true;

    /// <summary>The forward-mode derivative (tangent) of this tensor. Setting it on inputs or parameters makes
    /// every op computed from them propagate tangents, so an output's Tangent is the Jacobian-vector
    /// product J v (used for exact Fisher-vector products in K-FAC's quadratic model).</summary>
    public Tensor? Tangent
    {
        get => _tangent;
        set
        {
            if (value is not null)
            {
                if (value.Shape != Shape)
                    throw new ShapeMismatchException("Tangent", nameof(value), Shape, value.Shape, "a tangent has its primal's shape");
                if (value.DType != DType || value.Device != Device)
                    throw new ArgumentException($"tangent is {value.DType} on {value.Device}, primal is {DType} on {Device}", nameof(value));
            }
            _tangent = value;
        }
    }

    // Backward bookkeeping (see Autodiff/BackwardEngine.cs).
    internal Tensor? PendingGrad { get; set; }

    internal List<Action<Tensor>>? GradHooks { get; private set; }

    /// <summary>Calls <paramref name="hook"/> with dLoss/dThis once it is complete during Backward, before it
    /// flows further. K-FAC layers use this to collect per-example output gradients.</summary>
    public void RegisterGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        (GradHooks ??= []).Add(hook);
    }

    internal void ClearGradHooks() => GradHooks?.Clear();

    /// <summary>Runs reverse-mode autodiff from this scalar (or with an explicit output gradient).</summary>
    public void Backward(Tensor? gradOutput = null, bool retainGraph = false) =>
        BackwardEngine.Run(this, gradOutput, new BackwardOptions { RetainGraph = retainGraph });

    /// <summary>Runs reverse-mode autodiff from this tensor with the given <paramref name="options"/>; <paramref name="gradOutput"/> defaults to 1 for a scalar.</summary>
    public void Backward(BackwardOptions options, Tensor? gradOutput = null) => BackwardEngine.Run(this, gradOutput, options);

    /// <summary>A new leaf sharing this tensor's storage, cut from the graph and without a tangent.</summary>
    public Tensor Detach() => new(Storage, Shape) { Name = Name };

    /// <summary>Moves this tensor out of the innermost active scope into its parent (or out of scopes entirely).</summary>
    public Tensor MoveToOuterScope()
    {
        TensorScope.MoveOut(this);
        return this;
    }

    /// <summary>Releases this tensor's reference to its storage (idempotent); the storage returns to the pool when no tensor views it.</summary>
    public void Dispose()
    {
        if (_storage is null) return;
        var s = _storage;
        _storage = null;
        s.RemoveReference();
    }

    internal string Describe() => (Name is null ? "" : $"'{Name}' ") + $"{Shape}";

    /// <summary>"Tensor name shape dtype device" (or "disposed"), for debugging.</summary>
    public override string ToString() => $"Tensor{(Name is null ? "" : " " + Name)} {Shape} {DType.ToString().ToLowerInvariant()} {(IsDisposed ? "disposed" : Device.ToString())}";
}

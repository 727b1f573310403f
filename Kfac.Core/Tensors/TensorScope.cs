namespace Kfac.Tensors;

/// <summary>
/// Collects the tensors created on this thread while it is active and disposes them when it ends,
/// returning their buffers to the pool. A training step runs inside one scope, so the step's
/// activations, gradients of intermediates and temporaries are reused by the next step without
/// allocation. Parameters, their gradients and optimizer state are created outside scopes.
/// <code>
/// using (Tensor.Scope())
/// {
///     var loss = lossFn.Value(model.Forward(x), targets);
///     loss.Backward();
///     optimizer.Step();
/// }
/// </code>
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    [ThreadStatic] private static Stack<TensorScope>? _free;

    private readonly List<Tensor> _tensors = [];
    private TensorScope? _parent;
    private bool _active;

    private TensorScope() { }

    internal static TensorScope? Current => _current;

    /// <summary>Starts a scope on this thread (scope objects are reused; starting one does not allocate
    /// after the first few steps).</summary>
    public static TensorScope Begin()
    {
        var free = _free ??= new Stack<TensorScope>();
        var scope = free.Count > 0 ? free.Pop() : new TensorScope();
        scope._parent = _current;
        scope._active = true;
        _current = scope;
        return scope;
    }

    /// <summary>Runs with no scope active (tensors created inside live until disposed or collected).</summary>
    public static SuspendedScope Suspend()
    {
        var saved = _current;
        _current = null;
        return new SuspendedScope(saved);
    }

    internal static void Register(Tensor t) => _current?._tensors.Add(t);

    internal static void MoveOut(Tensor t)
    {
        var scope = _current;
        while (scope is not null)
        {
            int i = scope._tensors.LastIndexOf(t);
            if (i >= 0)
            {
                scope._tensors.RemoveAt(i);
                scope._parent?._tensors.Add(t);
                return;
            }
            scope = scope._parent;
        }
    }

    /// <summary>Disposes every tensor registered in this scope and makes the parent scope current; scopes must end in reverse order of creation.</summary>
    public void Dispose()
    {
        if (!_active) return;
        if (_current != this)
            throw new InvalidOperationException("tensor scopes must be disposed in reverse order of creation");
        foreach (var t in _tensors) t.Dispose();
        _tensors.Clear();
        _current = _parent;
        _parent = null;
        _active = false;
        _free!.Push(this);
    }

    /// <summary>The handle returned by <see cref="Suspend"/>; disposing it restores the scope that was current.</summary>
    public readonly struct SuspendedScope : IDisposable
    {
        private readonly TensorScope? _saved;

        internal SuspendedScope(TensorScope? saved) => _saved = saved;

        /// <summary>Makes the suspended scope current again.</summary>
        public void Dispose() => _current = _saved;
    }
}

using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// A per-thread hook on every dense layer's pre-activation s = x W^T + b: while a hook is active, Dense.Forward
/// returns hook(tag, x, s) instead of s (and records that for the curvature). Local reparameterisation (Kingma,
/// Salimans and Welling 2015) uses it to add per-example noise to s; nothing else changes when no hook is active.
/// </summary>
public static class DenseOutputHook
{
    [ThreadStatic] private static Func<DenseTag, Tensor, Tensor, Tensor>? _current;

    /// <summary>The active hook (null: none).</summary>
    public static Func<DenseTag, Tensor, Tensor, Tensor>? Current => _current;

    /// <summary>Makes <paramref name="hook"/> active until the returned scope is disposed (the previous one is restored).</summary>
    public static Scope Activate(Func<DenseTag, Tensor, Tensor, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var previous = _current;
        _current = hook;
        return new Scope(previous, true);
    }

    /// <summary>Restores the previous hook on dispose; the default value does nothing.</summary>
    public readonly struct Scope(Func<DenseTag, Tensor, Tensor, Tensor>? previous, bool active) : IDisposable
    {
        /// <summary>Restores the previously installed hook (nothing for the default value).</summary>
        public void Dispose()
        {
            if (active) _current = previous;
        }
    }
}

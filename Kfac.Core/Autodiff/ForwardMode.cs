using Kfac.Tensors;

namespace Kfac.Autodiff;

/// <summary>
/// Forward-mode autodiff (JVP) bookkeeping. Tangents propagate through an op when any input carries one
/// (<see cref="Tensor.Tangent"/>); the op's JVP rule computes the output tangent with propagation
/// suspended, so tangent arithmetic never produces tangents of its own.
/// </summary>
public static class ForwardMode
{
    [ThreadStatic] private static int _suspendedDepth;

    internal static bool Propagates(Tensor a) => _suspendedDepth == 0 && a.Tangent is not null;

    internal static bool Propagates(Tensor a, Tensor b) => _suspendedDepth == 0 && (a.Tangent is not null || b.Tangent is not null);

    /// <summary>Stops tangent propagation (and graph recording) while a JVP rule runs.</summary>
    internal static Suspension Suspend()
    {
        _suspendedDepth++;
        return new Suspension(GradMode.Disable());
    }

    internal readonly struct Suspension(GradMode.Guard grad) : IDisposable
    {
        public void Dispose()
        {
            grad.Dispose();
            _suspendedDepth--;
        }
    }

    /// <summary>Sets <paramref name="tangents"/>[i] as the tangent of <paramref name="primals"/>[i], runs
    /// <paramref name="f"/>, and returns its output (whose Tangent is J v); tangents are cleared afterwards.</summary>
    public static Tensor Jvp(Func<Tensor> f, IReadOnlyList<Tensor> primals, IReadOnlyList<Tensor> tangents)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (primals.Count != tangents.Count)
            throw new ArgumentException($"{primals.Count} primals but {tangents.Count} tangents", nameof(tangents));
        for (int i = 0; i < primals.Count; i++) primals[i].Tangent = tangents[i];
        try
        {
            return f();
        }
        finally
        {
            for (int i = 0; i < primals.Count; i++) primals[i].Tangent = null;
        }
    }
}

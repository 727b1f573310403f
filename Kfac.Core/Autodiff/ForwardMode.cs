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

    /// <summary>
    /// J v by replaying forward mode over the graph recorded when <paramref name="output"/> was computed: each
    /// node's tangent rule runs on the primal values it saved, so no primal is recomputed (about half the cost of
    /// <see cref="Jvp"/> on a dense network). <paramref name="primals"/> are leaves of that graph (parameters) with
    /// the given tangents; other leaves have zero tangent. The graph must still be alive (inside the scope that
    /// created it; a completed Backward does not matter). Throws NotSupportedException if some op on the way has no
    /// replay rule (callers can fall back to <see cref="Jvp"/>).
    /// </summary>
    public static Tensor Replay(Tensor output, IReadOnlyList<Tensor> primals, IReadOnlyList<Tensor> tangents)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (primals.Count != tangents.Count)
            throw new ArgumentException($"{primals.Count} primals but {tangents.Count} tangents", nameof(tangents));
        var known = new Dictionary<Tensor, Tensor?>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < primals.Count; i++)
        {
            if (tangents[i].Shape != primals[i].Shape)
                throw new ShapeMismatchException("Replay", nameof(tangents), primals[i].Shape, tangents[i].Shape, $"tangent {i}");
            known[primals[i]] = tangents[i];
        }
        using var suspended = Suspend();
        var result = TangentOf(output, known);
        return result ?? throw new InvalidOperationException("the output does not depend on the given primals");
    }

    /// <summary>Tangents in dependency order (an explicit stack: graphs can be deep).</summary>
    private static Tensor? TangentOf(Tensor output, Dictionary<Tensor, Tensor?> known)
    {
        var stack = new Stack<(Tensor Tensor, bool Expanded)>();
        stack.Push((output, false));
        var inputTangents = new List<Tensor?>();
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (known.ContainsKey(t)) continue;
            if (t.IsLeaf)
            {
                known[t] = null;
                continue;
            }
            var node = t.GradFn!;
            if (!expanded)
            {
                stack.Push((t, true));
                foreach (var input in node.Inputs)
                    if (!known.ContainsKey(input)) stack.Push((input, false));
                continue;
            }
            inputTangents.Clear();
            bool any = false;
            foreach (var input in node.Inputs)
            {
                var ti = known[input];
                inputTangents.Add(ti);
                any |= ti is not null;
            }
            known[t] = any ? node.Tangent(inputTangents.ToArray()) : null;
        }
        return known[output];
    }
}

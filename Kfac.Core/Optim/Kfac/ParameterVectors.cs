using Kfac.Tensors;

namespace Kfac.Optim.Kfac;

/// <summary>Arithmetic on vectors stored as lists of tensors shaped like the parameters (no flattening).</summary>
internal static class ParameterVectors
{
    /// <summary>Declares the tensors constant until disposal (<see cref="IBackend.HoldConstant"/>), one hold per
    /// backend they live on.</summary>
    public static IDisposable HoldConstant(Tensor[] tensors)
    {
        var backend = tensors[0].Backend;
        bool one = true;
        foreach (var t in tensors) one &= t.Backend == backend;
        if (one) return backend.HoldConstant(tensors);
        return new Holds(tensors.GroupBy(t => t.Backend).Select(g => g.Key.HoldConstant(g.ToArray())).ToArray());
    }

    private sealed class Holds(IDisposable[] holds) : IDisposable
    {
        public void Dispose()
        {
            foreach (var h in holds) h.Dispose();
        }
    }

    public static double Dot(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b)
    {
        double s = 0;
        for (int i = 0; i < a.Count; i++) s += a[i].Backend.Dot(a[i], b[i]);
        return s;
    }

    /// <summary>Per pair count, the per-tensor left and right lists handed to the backend (reused, not reallocated).</summary>
    [ThreadStatic] private static Dictionary<int, (Tensor[] Left, Tensor[] Right)>? _pairLists;

    /// <summary>left[p] . right[p] for each pair of vectors (one fused pass per parameter tensor). The spans let
    /// callers write the pairs as collection expressions without allocating.</summary>
    public static void Dots(ReadOnlySpan<Tensor[]> left, ReadOnlySpan<Tensor[]> right, Span<double> results)
    {
        int pairs = left.Length;
        results[..pairs].Clear();
        Span<double> part = stackalloc double[pairs];
        _pairLists ??= [];
        if (!_pairLists.TryGetValue(pairs, out var lists)) _pairLists[pairs] = lists = (new Tensor[pairs], new Tensor[pairs]);
        var (l, r) = lists;
        for (int i = 0; i < left[0].Length; i++)
        {
            for (int p = 0; p < pairs; p++) (l[p], r[p]) = (left[p][i], right[p][i]);
            l[0].Backend.Dots(l, r, part);
            for (int p = 0; p < pairs; p++) results[p] += part[p];
        }
    }

    /// <summary>result = grad + eta theta for every parameter (its gradient from <see cref="Tensor.Grad"/>), with
    /// |theta|^2 (when eta &gt; 0, else 0) and whether the result is finite, in one pass per tensor.</summary>
    public static (double SquaredNorm, bool Finite) RegularizedGradient(Tensor[] parameters, double eta, Tensor[] result)
    {
        double norm = 0;
        bool finite = true;
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (p.Grad is null) throw new InvalidOperationException($"parameter {p.Name ?? i.ToString()} received no gradient: is it used by the forward function?");
            var (n, f) = p.Backend.RegularizedGradient(p.Grad, p, eta, result[i], squaredNorm: eta > 0);
            norm += n;
            finite &= f;
        }
        return (norm, finite);
    }

    /// <summary>previous = alpha direction + mu previous; backup = theta; theta += previous (one pass per tensor):
    /// whether the new previous is finite, and |theta|^2 after the update when asked (else 0).</summary>
    public static (double SquaredNorm, bool Finite) ApplyUpdate(double alpha, Tensor[] direction, double mu, Tensor[] previous,
        Tensor[] parameters, Tensor[] backup, bool squaredNorm)
    {
        double norm = 0;
        bool finite = true;
        for (int i = 0; i < parameters.Length; i++)
        {
            var (n, f) = parameters[i].Backend.ApplyUpdate(alpha, direction[i], mu, previous[i], parameters[i], backup[i], squaredNorm);
            norm += n;
            finite &= f;
        }
        return (norm, finite);
    }

    /// <summary>y = alpha x + beta y.</summary>
    public static void Axpby(double alpha, IReadOnlyList<Tensor> x, double beta, IReadOnlyList<Tensor> y)
    {
        for (int i = 0; i < x.Count; i++) x[i].Backend.Axpby(alpha, x[i], beta, y[i]);
    }

    public static void Copy(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y)
    {
        for (int i = 0; i < x.Count; i++) x[i].Backend.Copy(x[i], y[i]);
    }

    public static void Fill(IReadOnlyList<Tensor> x, double value)
    {
        foreach (var t in x) t.Backend.Fill(t, value);
    }

    public static bool AllFinite(IReadOnlyList<Tensor> x)
    {
        foreach (var t in x)
            if (!t.Backend.AllFinite(t)) return false;
        return true;
    }

    /// <summary>Zero tensors shaped like <paramref name="like"/>, outside any scope (optimizer state).</summary>
    public static Tensor[] ZerosLike(IReadOnlyList<Tensor> like)
    {
        using var outside = TensorScope.Suspend();
        return like.Select(p => Tensor.Zeros(p.Shape, p.DType, p.Device)).ToArray();
    }
}

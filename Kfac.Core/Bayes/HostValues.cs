using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>Copies between host double buffers and CPU tensors of either float dtype (the variational state is kept
/// in double on the host; the network's tensors may be float32 or float64).</summary>
internal static class HostValues
{
    public static void Read(Tensor t, Span<double> into)
    {
        if (into.Length != t.Numel) throw new ArgumentException($"buffer has {into.Length} entries, {t} has {t.Numel}", nameof(into));
        if (t.DType == DType.Float64) t.AsSpan<double>().CopyTo(into);
        else
        {
            var s = t.AsSpan<float>();
            for (int i = 0; i < s.Length; i++) into[i] = s[i];
        }
    }

    public static void Write(ReadOnlySpan<double> from, Tensor t)
    {
        if (from.Length != t.Numel) throw new ArgumentException($"buffer has {from.Length} entries, {t} has {t.Numel}", nameof(from));
        if (t.DType == DType.Float64) from.CopyTo(t.AsSpan<double>());
        else
        {
            var s = t.AsSpan<float>();
            for (int i = 0; i < s.Length; i++) s[i] = (float)from[i];
        }
    }

    /// <summary>One zeroed host buffer per tensor.</summary>
    public static double[][] Like(IReadOnlyList<Tensor> tensors) => tensors.Select(t => new double[t.Numel]).ToArray();

    public static double[][] Copy(IReadOnlyList<Tensor> tensors)
    {
        var r = Like(tensors);
        for (int i = 0; i < r.Length; i++) Read(tensors[i], r[i]);
        return r;
    }

    /// <summary>The gradients of <paramref name="parameters"/> into <paramref name="into"/> (zeros where a parameter has none).</summary>
    public static void ReadGradients(IReadOnlyList<Tensor> parameters, double[][] into)
    {
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Grad is { } g) Read(g, into[i]);
            else Array.Clear(into[i]);
        }
    }

    public static void ZeroGradients(IReadOnlyList<Tensor> parameters)
    {
        foreach (var p in parameters)
            p.ZeroGrad();
    }
}

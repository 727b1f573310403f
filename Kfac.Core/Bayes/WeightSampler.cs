using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// The reusable mechanism by which any variational optimizer evaluates the network at a weight sample: the
/// parameter tensors normally hold the posterior MEAN; <see cref="Apply"/> copies the mean aside, writes the
/// sample into the parameters for the forward and backward pass, and disposing the returned scope copies the mean
/// back (a plain copy of the saved bits, so the restore is exact). Gradients left in <c>.Grad</c> by a backward
/// pass inside the scope are those at the sample, which is what the noisy natural-gradient and reparameterised
/// updates need. The backups are allocated once.
/// <code>
/// using (sampler.Apply(sample)) { loss(forward(x)).Backward(); }   // parameters hold the mean again here
/// </code>
/// </summary>
public sealed class WeightSampler
{
    private readonly Tensor[] _backup;
    private bool _applied;

    /// <summary>A sampler for <paramref name="parameters"/> (at least one), with backup buffers allocated once.</summary>
    public WeightSampler(IReadOnlyList<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0) throw new ArgumentException("no parameters to sample", nameof(parameters));
        Parameters = parameters.ToArray();
        using var outside = TensorScope.Suspend();
        _backup = Parameters.Select(Tensor.EmptyLike).ToArray();
    }

    /// <summary>The parameters samples are written into.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>True while a sample is in the parameters.</summary>
    public bool IsApplied => _applied;

    /// <summary>Puts <paramref name="sample"/> (host values, one buffer per parameter) into the parameters until
    /// the returned scope is disposed.</summary>
    public Scope Apply(IReadOnlyList<double[]> sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (_applied) throw new InvalidOperationException("a weight sample is already applied; dispose its scope first");
        if (sample.Count != Parameters.Count)
            throw new ArgumentException($"sample has {sample.Count} buffers, there are {Parameters.Count} parameters", nameof(sample));
        for (int i = 0; i < sample.Count; i++)
            if (sample[i].Length != Parameters[i].Numel)
                throw new ArgumentException($"sample[{i}] has {sample[i].Length} values, parameter {Parameters[i].Name} {Parameters[i].Shape} has {Parameters[i].Numel}", nameof(sample));
        for (int i = 0; i < Parameters.Count; i++)
        {
            Parameters[i].Backend.Copy(Parameters[i], _backup[i]);
            HostValues.Write(sample[i], Parameters[i]);
        }
        _applied = true;
        return new Scope(this);
    }

    private void Restore()
    {
        if (!_applied) return;
        for (int i = 0; i < Parameters.Count; i++) Parameters[i].Backend.Copy(_backup[i], Parameters[i]);
        _applied = false;
    }

    /// <summary>Restores the mean on dispose (idempotent).</summary>
    public readonly struct Scope(WeightSampler owner) : IDisposable
    {
        /// <summary>Copies the saved mean back into the parameters (once).</summary>
        public void Dispose() => owner.Restore();
    }
}

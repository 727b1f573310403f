using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// A variational posterior q(w) over a network's weights whose MEAN lives in the network's parameter tensors
/// (so an ordinary forward pass evaluates the mean network), with the prior N(0, eta I).
/// </summary>
public interface IWeightPosterior
{
    /// <summary>The parameters the posterior covers; their current values are its mean.</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Prior variance eta of N(0, eta I).</summary>
    double PriorVariance { get; }

    /// <summary>Writes one sample w ~ q into <paramref name="into"/> (one host buffer per parameter).</summary>
    void Sample(System.Random rng, double[][] into);

    /// <summary>Writes independent samples into <paramref name="into"/>[k] for every k (one host buffer per
    /// parameter each). The default calls <see cref="Sample"/> per k; posteriors with a batched draw override it.</summary>
    void SampleMany(System.Random rng, double[][][] into)
    {
        ArgumentNullException.ThrowIfNull(into);
        foreach (var sample in into) Sample(rng, sample);
    }

    /// <summary>KL(q || N(0, eta I)) in closed form.</summary>
    double KlToPrior();
}

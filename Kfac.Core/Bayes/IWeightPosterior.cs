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

    /// <summary>KL(q || N(0, eta I)) in closed form.</summary>
    double KlToPrior();
}

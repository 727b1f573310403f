namespace Kfac.Bayes;

/// <summary>
/// What every variational optimizer needs (Zhang et al. 2018, section 3): N training examples, the KL weight lambda
/// (1 for the true ELBO), the prior variance eta of N(0, eta I), the step size alpha and the number of weight samples
/// (particles) per step; the intrinsic damping gamma_in = lambda / (N eta) follows.
/// </summary>
public sealed record VariationalOptions
{
    public required int TrainingSetSize { get; init; }

    public double KlWeight { get; init; } = 1;

    public double PriorVariance { get; init; } = 1;

    public double LearningRate { get; init; } = 0.01;

    public int Particles { get; init; } = 1;

    public int Seed { get; init; }

    /// <summary>gamma_in = lambda / (N eta).</summary>
    public double IntrinsicDamping => KlWeight / (TrainingSetSize * PriorVariance);

    public void Validate()
    {
        if (TrainingSetSize <= 0) throw new ArgumentOutOfRangeException(nameof(TrainingSetSize), TrainingSetSize, "must be positive");
        if (!(KlWeight > 0) || double.IsInfinity(KlWeight)) throw new ArgumentOutOfRangeException(nameof(KlWeight), KlWeight, "must be positive and finite");
        GaussianKl.CheckEta(PriorVariance);
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be positive and finite");
        if (Particles <= 0) throw new ArgumentOutOfRangeException(nameof(Particles), Particles, "must be at least 1");
    }
}

/// <summary>One variational step: the mean over particles of the mini-batch mean loss (negative log-likelihood up to
/// the loss's constant) at the sampled weights, and whether the update was applied (false: a loss or gradient was not
/// finite and the mean and state were left untouched).</summary>
public readonly record struct VariationalStepResult(double MeanLoss, bool Applied);

namespace Kfac.Bayes;

/// <summary>
/// What every variational optimizer needs (Zhang et al. 2018, section 3): N training examples, the KL weight lambda
/// (1 for the true ELBO), the prior variance eta of N(0, eta I), the step size alpha and the number of weight samples
/// (particles) per step; the intrinsic damping gamma_in = lambda / (N eta) follows.
/// </summary>
public sealed record VariationalOptions
{
    /// <summary>N, the number of training examples (required, &gt; 0).</summary>
    public required int TrainingSetSize { get; init; }

    /// <summary>lambda, the KL weight (1 for the true ELBO; &gt; 0); default 1.</summary>
    public double KlWeight { get; init; } = 1;

    /// <summary>eta, the prior variance of N(0, eta I); default 1.</summary>
    public double PriorVariance { get; init; } = 1;

    /// <summary>alpha, the step size (&gt; 0); default 0.01.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Weight samples per step (&gt;= 1); default 1.</summary>
    public int Particles { get; init; } = 1;

    /// <summary>Seed of the host generator of the weight samples; default 0.</summary>
    public int Seed { get; init; }

    /// <summary>gamma_in = lambda / (N eta).</summary>
    public double IntrinsicDamping => KlWeight / (TrainingSetSize * PriorVariance);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field out of range.</summary>
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

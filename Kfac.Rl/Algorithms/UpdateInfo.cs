namespace Kfac.Rl.Algorithms;

/// <summary>What one update reports (SB3's logger keys in comments): losses averaged over its gradient steps.</summary>
public sealed record UpdateInfo
{
    /// <summary>Updates so far, this one included.</summary>
    public long Updates { get; init; }

    /// <summary>Environment steps so far (all copies).</summary>
    public long EnvSteps { get; init; }

    /// <summary>train/policy_gradient_loss.</summary>
    public double PolicyLoss { get; init; }

    /// <summary>train/value_loss.</summary>
    public double ValueLoss { get; init; }

    /// <summary>Mean policy entropy (train/entropy_loss is its negative).</summary>
    public double Entropy { get; init; }

    /// <summary>Gradient 2-norm before clipping (last gradient step).</summary>
    public double GradientNorm { get; init; }

    /// <summary>PPO: train/approx_kl (mean of (r - 1) - log r); NaN for A2C.</summary>
    public double ApproxKl { get; init; } = double.NaN;

    /// <summary>PPO: train/clip_fraction; NaN for A2C.</summary>
    public double ClipFraction { get; init; } = double.NaN;

    /// <summary>ACKTR: the trust-region scale nu of this update (NaN otherwise or during cold updates).</summary>
    public double TrustRegionScale { get; init; } = double.NaN;

    /// <summary>ACKTR with <see cref="AcktrOptions.KlGuard"/>: the policy's measured KL(pi_old || pi_new) on the batch
    /// after the guard (0 when it undid the update; NaN without the guard or during cold updates).</summary>
    public double PolicyKl { get; init; } = double.NaN;

    /// <summary>ACKTR with <see cref="AcktrOptions.KlGuard"/>: halvings of this update (PolicyKlGuard.MaxHalvings + 1:
    /// undone; 0 otherwise).</summary>
    public int GuardHalvings { get; init; }

    /// <summary>Learning rate used.</summary>
    public double LearningRate { get; init; }

    /// <summary>Gradient steps skipped because the gradient was not finite (weights untouched).</summary>
    public int SkippedSteps { get; init; }
}

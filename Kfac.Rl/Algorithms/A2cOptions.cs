using Kfac.Optim;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// A2C hyper-parameters. Defaults are openai/baselines' a2c (baselines/a2c/a2c.py: nsteps 5, gamma 0.99,
/// ent_coef 0.01, vf_coef 0.5, max_grad_norm 0.5, RMSProp lr 7e-4, alpha 0.99, epsilon 1e-5; the same as
/// Stable-Baselines3's A2C defaults). Returns are n-step (GAE with lambda = 1, no advantage normalisation).
/// RMSProp here is PyTorch's (epsilon outside the square root), as SB3's default; baselines used TensorFlow's
/// (epsilon inside).
/// </summary>
public sealed record A2cOptions
{
    public int StepsPerEnv { get; init; } = 5;
    public double Gamma { get; init; } = 0.99;
    public double GaeLambda { get; init; } = 1.0;
    public double EntropyCoefficient { get; init; } = 0.01;
    public double ValueCoefficient { get; init; } = 0.5;
    public double MaxGradNorm { get; init; } = 0.5;
    public double LearningRate { get; init; } = 7e-4;

    /// <summary>Linear decay of the learning rate to 0 over the budget (baselines' default "linear" schedule is
    /// for Atari; SB3 uses a constant rate).</summary>
    public bool LinearLearningRate { get; init; }

    public double RmsAlpha { get; init; } = 0.99;
    public double RmsEpsilon { get; init; } = 1e-5;
    public bool NormalizeAdvantage { get; init; }

    /// <summary>Scale rewards by the running standard deviation of the discounted return before the update
    /// (<see cref="Kfac.Rl.Returns.RewardNormalizer"/>; SB3's VecNormalize reward part, which rl-baselines3-zoo
    /// turns on with <c>normalize: true</c>).</summary>
    public bool NormalizeReward { get; init; }

    /// <summary>rl-baselines3-zoo hyperparams/a2c.yml CartPole-v1 (commit c6c209e7): n_envs 8, ent_coef 0.0,
    /// otherwise the defaults.</summary>
    public static A2cOptions ZooCartPole => new() { EntropyCoefficient = 0.0 };

    public void Validate()
    {
        if (StepsPerEnv < 1) throw new ArgumentOutOfRangeException(nameof(StepsPerEnv), StepsPerEnv, "must be positive");
        OptionCheck.InClosedUnit(this, Gamma, nameof(Gamma));
        OptionCheck.InClosedUnit(this, GaeLambda, nameof(GaeLambda));
        OptionCheck.NonNegative(this, EntropyCoefficient, nameof(EntropyCoefficient));
        OptionCheck.NonNegative(this, ValueCoefficient, nameof(ValueCoefficient));
        OptionCheck.Positive(this, MaxGradNorm, nameof(MaxGradNorm));
        OptionCheck.Positive(this, LearningRate, nameof(LearningRate));
    }
}

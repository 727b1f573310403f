using Kfac.Optim;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// PPO hyper-parameters (Schulman et al. 2017). Defaults are Stable-Baselines3's PPO
/// (stable_baselines3/ppo/ppo.py: n_steps 2048, batch_size 64, n_epochs 10, gamma 0.99, gae_lambda 0.95,
/// clip_range 0.2, normalize_advantage True (per minibatch), ent_coef 0.0, vf_coef 0.5, max_grad_norm 0.5,
/// Adam lr 3e-4 with eps 1e-5 as set by SB3's ActorCriticPolicy; no value clipping).
/// </summary>
public sealed record PpoOptions
{
    public int StepsPerEnv { get; init; } = 2048;
    public int BatchSize { get; init; } = 64;
    public int Epochs { get; init; } = 10;
    public double Gamma { get; init; } = 0.99;
    public double GaeLambda { get; init; } = 0.95;
    public double ClipRange { get; init; } = 0.2;

    /// <summary>Decay the clip range linearly to 0 over the budget (zoo's "lin_0.2").</summary>
    public bool LinearClipRange { get; init; }

    public bool NormalizeAdvantage { get; init; } = true;
    public double EntropyCoefficient { get; init; }
    public double ValueCoefficient { get; init; } = 0.5;
    public double MaxGradNorm { get; init; } = 0.5;
    public double LearningRate { get; init; } = 3e-4;

    /// <summary>Decay the learning rate linearly to 0 over the budget (zoo's "lin_X").</summary>
    public bool LinearLearningRate { get; init; }

    public double AdamEpsilon { get; init; } = 1e-5;

    /// <summary>Scale rewards by the running standard deviation of the discounted return before the update
    /// (<see cref="Kfac.Rl.Returns.RewardNormalizer"/>; SB3's VecNormalize reward part, which rl-baselines3-zoo
    /// turns on with <c>normalize: true</c>).</summary>
    public bool NormalizeReward { get; init; }

    /// <summary>rl-baselines3-zoo hyperparams/ppo.yml CartPole-v1 (commit 208b6fdf, "Tuned"): n_envs 8,
    /// n_steps 32, batch_size 256, gae_lambda 0.8, gamma 0.98, n_epochs 20, ent_coef 0.0, lr lin_0.001,
    /// clip_range lin_0.2.</summary>
    public static PpoOptions ZooCartPole => new()
    {
        StepsPerEnv = 32, BatchSize = 256, GaeLambda = 0.8, Gamma = 0.98, Epochs = 20, LearningRate = 1e-3,
        LinearLearningRate = true, LinearClipRange = true,
    };

    public void Validate()
    {
        if (StepsPerEnv < 1) throw new ArgumentOutOfRangeException(nameof(StepsPerEnv), StepsPerEnv, "must be positive");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be at least 2 (advantage normalisation)");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "must be positive");
        OptionCheck.InClosedUnit(this, Gamma, nameof(Gamma));
        OptionCheck.InClosedUnit(this, GaeLambda, nameof(GaeLambda));
        OptionCheck.Positive(this, ClipRange, nameof(ClipRange));
        OptionCheck.NonNegative(this, EntropyCoefficient, nameof(EntropyCoefficient));
        OptionCheck.NonNegative(this, ValueCoefficient, nameof(ValueCoefficient));
        OptionCheck.Positive(this, MaxGradNorm, nameof(MaxGradNorm));
        OptionCheck.Positive(this, LearningRate, nameof(LearningRate));
    }
}

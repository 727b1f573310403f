using Kfac.Rl.Environments;

namespace Kfac.Rl.Algorithms;

/// <summary>A number of parallel environments and an algorithm's options for one environment, with where the
/// setting comes from and what it measured.</summary>
public sealed record TunedSetting<TOptions>(int Envs, TOptions Options, string Source);

/// <summary>
/// Per-environment settings, as rl-baselines3-zoo keeps a table of hyper-parameters per task: the discount and the
/// number of copies are properties of the task (Pendulum-v1's returns need gamma 0.95 under ACKTR's trust region;
/// CartPole-v1's do better with fewer, shorter-lived copies). Every entry was measured over 5 seeds or more here
/// (docs/BENCHMARKS.md, the section each <see cref="TunedSetting{TOptions}.Source"/> names); environments without an
/// entry get the options records' own defaults (baselines' A2C and ACKTR, SB3's PPO) with 16 copies.
/// </summary>
public static class TunedSettings
{
    /// <summary>The number of copies an environment without an entry gets.</summary>
    public const int DefaultEnvs = 16;

    /// <summary>A2C: baselines' defaults except where a task measured better.</summary>
    public static TunedSetting<A2cOptions> A2c(string envId) => Require(envId) switch
    {
        "CartPole-v1" => new(16, new A2cOptions { StepsPerEnv = 5, EntropyCoefficient = 0, LearningRate = 5e-3 },
            "16 envs x 5 steps, ent_coef 0, lr 5e-3: the best of 24 grid points on held-out seeds 11-20 (85 240, 10/10; the same grid as ACKTR's, lr bracketed by 2e-3 and 1e-2); median 84 640 steps to 475 on seeds 1-10, 10/10 (stop 28's 16 x 10: 107 520) (BENCHMARKS: Stop 42 CartPole-v1)"),
        "Acrobot-v1" => new(32, new A2cOptions { StepsPerEnv = 5, EntropyCoefficient = 0, LearningRate = 2e-3 },
            "32 envs x 5 steps, ent_coef 0, lr 2e-3: of 58 grid points on held-out seeds 11-20 (the same grid size as ACKTR's), the best of the three best held-out medians that also reached -100 on every one of seeds 1-10; median 59 200 steps there (stop 39's 16 x 10, ent_coef 0.01: 67 200) (BENCHMARKS: Stop 41 Acrobot-v1)"),
        var id => new(DefaultEnvs, new A2cOptions(), $"baselines' a2c defaults (no per-task setting measured for {id})"),
    };

    /// <summary>PPO: rl-baselines3-zoo's settings where measured here, SB3's defaults elsewhere.</summary>
    public static TunedSetting<PpoOptions> Ppo(string envId) => Require(envId) switch
    {
        "CartPole-v1" => new(8, PpoOptions.ZooCartPole,
            "rl-baselines3-zoo ppo.yml CartPole-v1; median 74 496 steps to 475 on seeds 1-10, 10/10 (stop 15: 4/5 seeds by 1e5 steps, median 82 688) (BENCHMARKS: CartPole-v1; Stop 39)"),
        "Acrobot-v1" => new(16, new PpoOptions { StepsPerEnv = 256, GaeLambda = 0.94, Epochs = 4 },
            "rl-baselines3-zoo ppo.yml Acrobot-v1 without VecNormalize; 5/5 seeds reach -100, median 77 824 steps (BENCHMARKS: Acrobot-v1)"),
        "Pendulum-v1" => new(4, new PpoOptions { StepsPerEnv = 1024, GaeLambda = 0.95, Epochs = 10, Gamma = 0.95 },
            "zoo's Pendulum-v1 layout, gamma and lr tuned over 12 settings; -148.0 +- 2.3 after 1M steps, 5 seeds (BENCHMARKS: Stop 27 Pendulum-v1)"),
        _ => new(DefaultEnvs, new PpoOptions(), "SB3's PPO defaults (no per-task setting measured)"),
    };

    /// <summary>ACKTR: the library's defaults (baselines' with KL clip 0.03) except where a task measured better.</summary>
    public static TunedSetting<AcktrOptions> Acktr(string envId) => Require(envId) switch
    {
        "CartPole-v1" => new(8, new AcktrOptions { EntropyCoefficient = 0, StepsPerEnv = 10, KlClip = 0.005 },
            "rl-baselines-zoo acktr.yml CartPole-v1 (8 envs, ent_coef 0) with 10 steps per env and trust region delta 0.005 (bracketed over 0.0025-0.03 on held-out seeds 11-20: 0.03 collapsed the policy on 2 of seeds 1-10); every one of 20 seeds reaches 475, median 97 800 steps on seeds 1-10; still the best of 24 points on held-out seeds 11-20 when A2C got the same grid (95 160) (BENCHMARKS: Stop 39 CartPole-v1; Stop 42 CartPole-v1)"),
        "Pendulum-v1" => new(DefaultEnvs, new AcktrOptions { Gamma = 0.95 },
            "gamma 0.95: mean return after 1M steps -134.5 +- 1.5 over seeds 1-10, every seed learned; gamma 0.99 (the default): -431.1 +- 152.8, 2 of 10 seeds below -1200 (BENCHMARKS: Stop 28 ACKTR's per-task settings)"),
        "Acrobot-v1" => new(4, new AcktrOptions { StepsPerEnv = 3, KlClip = 0.005 },
            "4 envs x 3 steps, ent_coef 0.01, trust region delta 0.005: the best median of 58 grid points on held-out seeds 11-20 (11 046, 10/10; delta bracketed by 0.0025 and 0.01); median 11 412 steps on seeds 1-10, 10/10 (stop 28's 16 x 10: 43 520) (BENCHMARKS: Stop 41 Acrobot-v1)"),
        "MinAtar/Breakout-v1" => new(DefaultEnvs, new AcktrOptions { KlClip = 0.001 },
            "baselines' Atari trust region delta 0.001: mean return 18.3 +- 1.1 after 5M steps, 5 seeds; the default 0.03 collapsed the policy (0.0 and 6.6 on seeds 1-2) (BENCHMARKS: Stop 28 MinAtar Breakout)"),
        "MinAtar/SpaceInvaders-v1" => new(DefaultEnvs, new AcktrOptions { KlClip = 0.001 },
            "baselines' Atari trust region delta 0.001, as on Breakout (not tuned here; 0.03 not run on this game): mean return 245.1 +- 23.9 after 5M steps, 5 seeds, against A2C's 141.4 +- 8.4 (BENCHMARKS: Stop 29 MinAtar Space Invaders)"),
        _ => new(DefaultEnvs, new AcktrOptions(), "the library's ACKTR defaults (no per-task setting measured)"),
    };

    /// <summary>The gym id of <paramref name="envId"/> (MinAtar's short names map to their ids).</summary>
    private static string Require(string envId)
    {
        ArgumentNullException.ThrowIfNull(envId);
        return GymEnvironments.Canonical(envId);
    }
}

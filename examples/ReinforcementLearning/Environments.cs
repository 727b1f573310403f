using Kfac.Rl.Environments;

namespace Kfac.Examples.ReinforcementLearning;

/// <summary>Environment ids accepted by --env (gymnasium's and MinAtar's gym ids).</summary>
public static class Environments
{
    public static readonly string[] Ids =
        ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0", "MinAtar/Breakout-v1", "MinAtar/SpaceInvaders-v1"];

    public static Env Create(string id) => id switch
    {
        "CartPole-v1" => new CartPole(),
        "Acrobot-v1" => new Acrobot(),
        "Pendulum-v1" => new Pendulum(),
        "MountainCarContinuous-v0" => new MountainCarContinuous(),
        "MinAtar/Breakout-v1" or "Breakout" => new MinAtarBreakout(),
        "MinAtar/SpaceInvaders-v1" or "SpaceInvaders" => new MinAtarSpaceInvaders(),
        _ => throw new ArgumentException($"unknown environment '{id}'; known: {string.Join(", ", Ids)}", nameof(id)),
    };

    /// <summary>Whether <see cref="Create"/> knows <paramref name="id"/> (the ids and the MinAtar short names).</summary>
    public static bool IsKnown(string id) => Array.IndexOf(Ids, id) >= 0 || id is "Breakout" or "SpaceInvaders";

    public static bool IsMinAtar(Env env) => env is MinAtarEnvironment;
}

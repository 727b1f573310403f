namespace Kfac.Rl.Environments;

/// <summary>The environments by gym id (gymnasium's and MinAtar's): what the reinforcement-learning example's --env and
/// the acktr-update bench accept.</summary>
public static class GymEnvironments
{
    /// <summary>The known gym ids.</summary>
    public static readonly string[] Ids =
        ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0", "MinAtar/Breakout-v1", "MinAtar/SpaceInvaders-v1"];

    /// <summary>A new environment for gym id <paramref name="id"/> (or a MinAtar short name).</summary>
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

    /// <summary>The gym id of <paramref name="id"/>: MinAtar's short names ("Breakout", "SpaceInvaders") map to their
    /// ids, anything else is returned unchanged.</summary>
    public static string Canonical(string id) => id switch
    {
        "Breakout" => "MinAtar/Breakout-v1",
        "SpaceInvaders" => "MinAtar/SpaceInvaders-v1",
        _ => id,
    };

    /// <summary>Whether <paramref name="env"/> is a MinAtar game (a convolutional policy).</summary>
    public static bool IsMinAtar(Env env) => env is MinAtarEnvironment;
}

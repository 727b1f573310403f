namespace Kfac.Rl.Environments;

/// <summary>
/// Common part of the MinAtar games (Young &amp; Tian 2019, "MinAtar: an Atari-inspired testbed", kenjyoung/MinAtar
/// minatar/environment.py and minatar/gym.py): a 10x10 grid with one binary channel per object, observed here in
/// NCHW order [channels, 10, 10] (MinAtar's state() is [10, 10, channels]); MinAtar's six actions
/// n, l, u, r, d, f (0..5) with sticky actions: with probability 0.1 the previous action is repeated instead
/// (the previous action survives resets, as in MinAtar's Environment). The minimal action set (gym id -v1) is
/// the default; the full six actions are the -v0 variant. MinAtar has no time limit; a cap of
/// <c>maxEpisodeSteps</c> (default 100 000) only guards against endless episodes and reports truncation.
/// </summary>
public abstract class MinAtarEnvironment : Env
{
    public const int GridSize = 10;

    /// <summary>MinAtar's action names by index.</summary>
    public static readonly char[] ActionMap = ['n', 'l', 'u', 'r', 'd', 'f'];

    private readonly int[] _actionSet;
    private int _lastAction;

    protected MinAtarEnvironment(bool minimalActionSet, double stickyActionProbability, int maxEpisodeSteps)
        : base(maxEpisodeSteps)
    {
        if (!(stickyActionProbability >= 0 && stickyActionProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(stickyActionProbability), stickyActionProbability, "must be in [0, 1]");
        StickyActionProbability = stickyActionProbability;
        MinimalActionSet = minimalActionSet;
        _actionSet = minimalActionSet ? MinimalActions.Select(c => Array.IndexOf(ActionMap, c)).ToArray() : [0, 1, 2, 3, 4, 5];
        ActionSpace = ActionSpace.Discrete(_actionSet.Length);
    }

    public double StickyActionProbability { get; }

    public bool MinimalActionSet { get; }

    /// <summary>The game's channel count.</summary>
    public abstract int Channels { get; }

    /// <summary>The game's minimal action set by name (MinAtar's minimal_action_set).</summary>
    protected abstract char[] MinimalActions { get; }

    protected abstract string GameName { get; }

    public override string Id => $"MinAtar/{GameName}-{(MinimalActionSet ? "v1" : "v0")}";

    public override int[] ObservationShape => [Channels, GridSize, GridSize];

    public override ActionSpace ActionSpace { get; }

    /// <summary>The game has ended (MinAtar's env.terminal).</summary>
    public bool IsTerminal { get; protected set; }

    protected sealed override (double Reward, bool Terminated) StepCore(ReadOnlySpan<double> action)
    {
        int a = _actionSet[(int)action[0]];
        if (Random.NextDouble() < StickyActionProbability) a = _lastAction;
        _lastAction = a;
        double r = Act(ActionMap[a]);
        return (r, IsTerminal);
    }

    /// <summary>The game's act(a) for one of n, l, u, r, d, f.</summary>
    protected abstract double Act(char action);

    protected static void Fill(Span<float> observation, int channel, int y, int x) => observation[(channel * GridSize + y) * GridSize + x] = 1f;
}

namespace Kfac.Rl.Environments;

/// <summary>
/// What <see cref="Env.Step(ReadOnlySpan{double}, Span{float})"/> returns besides the observation:
/// gymnasium's (reward, terminated, truncated). <paramref name="Terminated"/>: the MDP reached a terminal
/// state (no bootstrapping); <paramref name="Truncated"/>: the episode was cut by the time limit (bootstrap
/// from the last observation). Both may be true on the same step, as in gymnasium's TimeLimit.
/// </summary>
public readonly record struct StepResult(double Reward, bool Terminated, bool Truncated)
{
    /// <summary>The episode is over either way; the caller must reset.</summary>
    public bool Done => Terminated || Truncated;
}

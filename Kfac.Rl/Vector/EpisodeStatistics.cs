namespace Kfac.Rl.Vector;

/// <summary>
/// Returns and lengths of completed episodes (SB3's ep_info_buffer / gymnasium's RecordEpisodeStatistics):
/// everything is kept in order of completion, and <see cref="MeanReturn"/> averages the most recent
/// <c>window</c> (100 by default, the convention of "mean return of the last 100 episodes").
/// </summary>
public sealed class EpisodeStatistics
{
    private readonly List<double> _returns = [];
    private readonly List<int> _lengths = [];

    public IReadOnlyList<double> Returns => _returns;

    public IReadOnlyList<int> Lengths => _lengths;

    public int Count => _returns.Count;

    public void Add(double episodeReturn, int length)
    {
        _returns.Add(episodeReturn);
        _lengths.Add(length);
    }

    /// <summary>Mean return of the last <paramref name="window"/> episodes (NaN before the first one ends).</summary>
    public double MeanReturn(int window = 100) => Mean(_returns.Select(r => r), window);

    public double MeanLength(int window = 100) => Mean(_lengths.Select(l => (double)l), window);

    private double Mean(IEnumerable<double> values, int window)
    {
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "must be positive");
        if (Count == 0) return double.NaN;
        int skip = Math.Max(0, Count - window);
        return values.Skip(skip).Average();
    }
}

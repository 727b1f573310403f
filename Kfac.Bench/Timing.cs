using System.Diagnostics;

namespace Kfac.Bench;

/// <summary>Warm-up then repeated timing; benchmarks report the median (robust on a shared, noisy machine).</summary>
internal static class Timing
{
    /// <summary>Runs <paramref name="body"/> <paramref name="warmup"/> times untimed, then <paramref name="runs"/>
    /// times timed; returns the per-run seconds sorted ascending.</summary>
    public static double[] Measure(Action body, int warmup, int runs)
    {
        for (int i = 0; i < warmup; i++) body();
        var seconds = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            body();
            seconds[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(seconds);
        return seconds;
    }

    public static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
}

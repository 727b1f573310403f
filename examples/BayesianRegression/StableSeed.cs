namespace Kfac.Examples.BayesianRegression;

/// <summary>
/// Seeds derived from (seed, split, ...) that are the same in every process. (HashCode.Combine, used before, is
/// randomised per process in .NET, so the "seeded" splits and initialisations differed from run to run and between
/// methods run in different processes.) SplitMix64's finaliser (Steele, Lea and Flood 2014) applied to each value in turn.
/// </summary>
public static class StableSeed
{
    public static int Combine(params int[] values)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var v in values)
        {
            h ^= (ulong)(uint)v;
            h += 0x9E3779B97F4A7C15UL;
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }
        return (int)(h & 0x7FFFFFFF);
    }
}

using System.Diagnostics;

namespace Kfac.Rl.Vector;

/// <summary>Environment steps per second of the vectorised runner alone (uniformly random actions), so the
/// cost of the environments can be told apart from the learner's.</summary>
public static class RunnerSpeed
{
    /// <summary>Steps <paramref name="vec"/> with random actions for about <paramref name="seconds"/> (after a warm-up)
    /// and returns its env steps per second and the steps timed.</summary>
    public static (double StepsPerSecond, long Steps) Measure(VectorEnvironment vec, double seconds, int seed)
    {
        if (!(seconds > 0)) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "must be positive");
        var rng = new Random(seed);
        var space = vec.ActionSpace;
        var actions = new double[vec.Count * space.Dimension];
        vec.Reset(seed);
        void Fill()
        {
            for (int i = 0; i < actions.Length; i++)
                actions[i] = space.IsDiscrete ? rng.Next(space.Count) : space.Low + (space.High - space.Low) * rng.NextDouble();
        }
        for (int i = 0; i < 1000; i++) { Fill(); vec.Step(actions); } // warm-up (JIT)
        long start = vec.TotalSteps;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
            for (int k = 0; k < 100; k++) { Fill(); vec.Step(actions); }
        long steps = vec.TotalSteps - start;
        return (steps / clock.Elapsed.TotalSeconds, steps);
    }
}

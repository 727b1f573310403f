namespace Kfac.Distributed;

/// <summary>
/// Which rank computes each curvature block's inverse (KAISA, Pauloski et al. 2021; Osawa et al. 2019): greedy
/// longest-processing-time scheduling, the blocks taken in decreasing cost (about n^3 flops per n x n factor
/// inverse) and each given to the rank with the least work so far (ties: the lowest rank). LPT's makespan is at most
/// 4/3 - 1/(3P) of the optimum (Graham 1969). Deterministic, so every rank computes the same assignment without
/// communicating.
/// </summary>
public static class InverseAssignment
{
    /// <summary>The owner rank of each block, given its inverse cost (>= 0, finite) and the number of ranks.</summary>
    public static int[] Assign(IReadOnlyList<double> costs, int ranks)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ranks);
        for (int i = 0; i < costs.Count; i++)
            if (!(costs[i] >= 0) || double.IsInfinity(costs[i]))
                throw new ArgumentOutOfRangeException(nameof(costs), costs[i], $"block {i}'s inverse cost must be finite and >= 0");
        var owners = new int[costs.Count];
        var load = new double[ranks];
        // Stable order: equal costs keep block order, so the assignment does not depend on the sort's tie-breaking.
        var order = Enumerable.Range(0, costs.Count).OrderByDescending(i => costs[i]).ThenBy(i => i);
        foreach (int b in order)
        {
            int best = 0;
            for (int r = 1; r < ranks; r++) if (load[r] < load[best]) best = r;
            owners[b] = best;
            load[best] += costs[b];
        }
        return owners;
    }

    /// <summary>Each rank's total cost under <paramref name="owners"/>.</summary>
    public static double[] Loads(IReadOnlyList<double> costs, IReadOnlyList<int> owners, int ranks)
    {
        var load = new double[ranks];
        for (int b = 0; b < costs.Count; b++) load[owners[b]] += costs[b];
        return load;
    }
}

using Kfac.Tensors;

namespace Kfac.Optim.Kfac;

public sealed partial class KfacOptimizer
{
    /// <summary>
    /// Section 6.6: each of the plan's gammas (<see cref="KfacStepPlan.GammaCandidates"/>: omega2 gamma, gamma / omega2,
    /// gamma, the current one last so that keeping it needs no recomputation) gets fresh inverses, its Delta and its
    /// (alpha, mu); the one whose update has the lowest quadratic-model value M(delta) is kept.
    /// </summary>
    private QuadraticModel.Solution TryGammas(IReadOnlyList<double> candidates, QuadraticSample sample)
    {
        double bestGamma = Gamma, bestValue = double.PositiveInfinity;
        QuadraticModel.Solution best = default, last = default;
        bool bestKept = false;
        var previous = PreviousTermsFor(sample); // outside the trials' scopes: J delta0 serves all of them
        for (int c = 0; c < candidates.Count; c++)
        {
            double g = candidates[c];
            using var candidateScope = TensorScope.Begin(); // each trial's temporaries go back to the pool
            RefreshInverses(g);
            ComputeDirection();
            last = ChooseStep(sample, previous);
            if (last.Value < bestValue)
            {
                bestValue = last.Value;
                bestGamma = g;
                best = last;
                // Keep this trial's inverses and Delta aside unless it is the last trial (whose state stays current),
                // so the winner needs no extra refresh.
                if (c < candidates.Count - 1) bestKept = KeepTrial();
            }
        }
        if (bestGamma != candidates[^1])
        {
            if (bestKept) RestoreTrial();
            else
            {
                RefreshInverses(bestGamma);
                ComputeDirection();
            }
        }
        Gamma = bestGamma;
        return bestValue < double.PositiveInfinity ? best : last;
    }
}

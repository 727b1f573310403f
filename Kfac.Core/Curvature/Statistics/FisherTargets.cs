using Kfac.Autodiff;
using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// The extra backward passes that deliver the G statistics: with <see cref="FisherEstimation.Sampled"/>, one
/// pass of the loss at targets drawn from the model's own predictive distribution; with
/// <see cref="FisherEstimation.Exact"/>, one pass per column b_j of a square root of the output Fisher, seeded
/// with b_j / m so that m * dL/ds = J^T b_j. Only activation gradients are computed (no weight-gradient GEMMs,
/// parameters' .Grad untouched); the recorder's hooks collect dL/ds for every recorded layer.
/// (<see cref="FisherEstimation.Empirical"/> needs no extra pass: it captures the true-label backward.)
/// </summary>
public static class FisherTargets
{
    /// <summary>Runs the extra backward pass(es) for <paramref name="estimation"/> from <paramref name="output"/> with the recorder capturing gradients (nothing for Empirical); <paramref name="rng"/> draws the sampled targets.</summary>
    public static void Backpropagate(ILoss loss, Tensor output, FisherEstimation estimation, Kfac.Sampling.RandomStream rng, CurvatureRecorder recorder, bool retainGraph)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(recorder);
        if (estimation == FisherEstimation.Empirical)
            throw new ArgumentException("the empirical Fisher uses the true-label backward pass; capture it with recorder.CapturingGradients instead", nameof(estimation));
        var activationsOnly = new BackwardOptions { AccumulateLeafGradients = false, RetainGraph = true };
        recorder.CapturingGradients = true;
        try
        {
            if (estimation == FisherEstimation.Sampled)
            {
                ArgumentNullException.ThrowIfNull(rng);
                // d(mean loss at the sampled targets)/dz = OutputGradient / m in closed form: no loss graph to build
                // and backpropagate through.
                Tensor seed;
                using (GradMode.Disable())
                {
                    var sampled = loss.Sample(output, rng);
                    seed = loss.OutputGradient(output, sampled) * (1.0 / output.Shape[0]);
                }
                output.Backward(activationsOnly with { RetainGraph = retainGraph }, seed);
                return;
            }
            var columns = loss.FisherSquareRootColumns(output);
            int m = output.Shape[0];
            for (int j = 0; j < columns.Count; j++)
            {
                Tensor seed;
                using (GradMode.Disable()) seed = columns[j] * (1.0 / m);
                output.Backward(activationsOnly with { RetainGraph = retainGraph || j < columns.Count - 1 }, seed);
            }
        }
        finally
        {
            recorder.CapturingGradients = false;
        }
    }
}

namespace Kfac.Curvature;

/// <summary>How the G factor's statistics are estimated (MATH.md, "Estimation modes").</summary>
public enum FisherEstimation
{
    /// <summary>Backpropagate targets sampled from the model's predictive distribution, one per example: an
    /// unbiased estimate of the true Fisher (the default, as in the paper).</summary>
    Sampled,
    /// <summary>Backpropagate every column of a square root of the output Fisher: the exact expectation over
    /// targets, at output-dimension times the cost.</summary>
    Exact,
    /// <summary>Use the training labels (the "empirical Fisher"): a different, biased metric, documented as such.</summary>
    Empirical,
}

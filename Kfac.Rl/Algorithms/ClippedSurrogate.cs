namespace Kfac.Rl.Algorithms;

/// <summary>
/// PPO's clipped surrogate per sample, min(r A, clip(r, 1 - eps, 1 + eps) A) (Schulman et al. 2017, eq. 7), and
/// its derivative in r: A where the unclipped term is the smaller or they are equal (inside the range, or
/// outside it on the side where clipping would raise the objective), 0 where the clipped constant is the
/// smaller. The derivative is what autograd gives through torch.min / torch.clamp, and lets the loss be formed
/// as -(1/m) sum_i r_i c_i with constants c_i.
/// </summary>
public static class ClippedSurrogate
{
    /// <summary>Writes d/dr_i of each sample's term to <paramref name="derivative"/>; returns the sum of the
    /// terms and how many ratios lie outside [1 - eps, 1 + eps].</summary>
    public static (double Sum, int OutsideRange) Evaluate(ReadOnlySpan<double> ratio, ReadOnlySpan<double> advantage, double clip, Span<double> derivative)
    {
        if (ratio.Length != advantage.Length || derivative.Length != ratio.Length)
            throw new ArgumentException($"ratio ({ratio.Length}), advantage ({advantage.Length}) and derivative ({derivative.Length}) must have the same length", nameof(ratio));
        if (!(clip > 0)) throw new ArgumentOutOfRangeException(nameof(clip), clip, "must be positive");
        double sum = 0;
        int outside = 0;
        for (int k = 0; k < ratio.Length; k++)
        {
            double r = ratio[k], a = advantage[k];
            double unclipped = r * a;
            double clipped = Math.Clamp(r, 1 - clip, 1 + clip) * a;
            derivative[k] = unclipped <= clipped ? a : 0;
            sum += Math.Min(unclipped, clipped);
            if (Math.Abs(r - 1) > clip) outside++;
        }
        return (sum, outside);
    }
}

using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Rl.Distributions;

/// <summary>
/// A batch of categorical distributions given by unnormalised logits z [B, K]: pi(a) = softmax(z)_a.
/// log pi(a) = z_a - logsumexp(z) (a one-hot row picks it from log_softmax, so the gradient flows to z:
/// d log pi(a) / dz = onehot(a) - pi); entropy H = -sum_a pi(a) log pi(a). Sampling and the mode are on the host
/// (the actions go to environments anyway).
/// </summary>
public sealed class Categorical
{
    public Categorical(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2) throw new ShapeMismatchException($"Categorical: logits have shape {logits.Shape}, expected [batch, actions]", nameof(logits));
        Logits = logits;
        LogProbabilities = logits.LogSoftmax();
    }

    public Tensor Logits { get; }

    /// <summary>log softmax(z), [B, K].</summary>
    public Tensor LogProbabilities { get; }

    public int Batch => Logits.Shape[0];

    public int Classes => Logits.Shape[1];

    /// <summary>log pi(a_i | s_i) for each row, [B].</summary>
    public Tensor LogProb(ReadOnlySpan<int> actions)
    {
        if (actions.Length != Batch) throw new ArgumentException($"Categorical.LogProb: {actions.Length} actions for a batch of {Batch}", nameof(actions));
        var oneHot = SoftmaxOps.OneHot(actions, Classes, Logits.DType, Logits.Device);
        return (LogProbabilities * oneHot).Sum(1);
    }

    /// <summary>Entropy per row, [B].</summary>
    public Tensor Entropy() => -(LogProbabilities.Exp() * LogProbabilities).Sum(1);

    /// <summary>Draws one action per row by inverse CDF on the host.</summary>
    public void Sample(System.Random rng, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(rng);
        CheckLength(actions.Length);
        var logp = LogProbabilities.ToDoubleArray();
        for (int b = 0; b < Batch; b++)
        {
            double u = rng.NextDouble(), cumulative = 0;
            int chosen = Classes - 1;
            for (int k = 0; k < Classes; k++)
            {
                cumulative += Math.Exp(logp[b * Classes + k]);
                if (u < cumulative) { chosen = k; break; }
            }
            actions[b] = chosen;
        }
    }

    /// <summary>The most probable action per row (greedy evaluation).</summary>
    public void Mode(Span<int> actions)
    {
        CheckLength(actions.Length);
        var z = Logits.ToDoubleArray();
        for (int b = 0; b < Batch; b++)
        {
            int best = 0;
            for (int k = 1; k < Classes; k++) if (z[b * Classes + k] > z[b * Classes + best]) best = k;
            actions[b] = best;
        }
    }

    private void CheckLength(int length)
    {
        if (length != Batch) throw new ArgumentException($"Categorical: action buffer has {length} entries for a batch of {Batch}", "actions");
    }
}

namespace Kfac.Optim.Kfac;

/// <summary>When the ranks' factor statistics are all-reduced (Ba, Grosse &amp; Martens 2017, section 4).</summary>
public enum StatisticsReduction
{
    /// <summary>At every statistics step, right after the factors' EMA update: every rank always holds the whole
    /// batch's factors.</summary>
    Eager,
    /// <summary>Only when the inverses are refreshed (kfac-jax's default): between refreshes each rank's EMA folds in
    /// its own shard only. The EMA is linear, so the n_r/B-weighted sum of the ranks' EMAs at the refresh equals the
    /// eager EMA (exactly in real arithmetic; to float rounding here) when the ranks started from the same factors
    /// (they do: the previous refresh reduced them) and the shard weights did not change in between. The factors are
    /// only read at a refresh, so the updates are those of the eager option; the messages are T3/T1 times fewer.</summary>
    Lazy,
}

/// <summary>Where the block inverses are computed and what is broadcast.</summary>
public enum InversePlacement
{
    /// <summary>Every rank computes every inverse (no broadcast; the inverse work is not divided).</summary>
    Replicated,
    /// <summary>Each block's inverse is computed on one rank (<see cref="Distributed.InverseAssignment"/>, LPT by
    /// n^3 cost) and broadcast: every rank then preconditions every block itself (and holds every inverse).</summary>
    BroadcastInverses,
    /// <summary>Each block's inverse is computed and applied on its owner only; the owner broadcasts the
    /// preconditioned gradient Delta_b (KAISA's memory-saving placement): the preconditioning is divided too, but a
    /// broadcast per direction (every gamma trial). A rank-0 checkpoint then lacks the other ranks' inverses; the
    /// optimizer refreshes them after an import.</summary>
    BroadcastDirections,
}

/// <summary>Options of distributed K-FAC (see <see cref="KfacOptimizer.Distribute"/>).</summary>
public sealed record DistributedKfacOptions
{
    /// <summary>When the factor statistics are all-reduced; default <see cref="StatisticsReduction.Eager"/>.</summary>
    public StatisticsReduction Statistics { get; init; } = StatisticsReduction.Eager;

    /// <summary>Default: broadcast the preconditioned gradients, which also divides the preconditioning among the owners
    /// (faster in both measured pairs and in the alpha-beta projection of docs/distributed.md, although it moves more
    /// data than broadcasting the inverses at T3 >= 3).</summary>
    public InversePlacement Inverses { get; init; } = InversePlacement.BroadcastDirections;
}

/// <summary>Cumulative seconds distributed K-FAC spent in collectives, by what they carried.</summary>
public sealed class KfacCommunication
{
    /// <summary>Mini-batch losses (the step's, the reduction ratio's) and the quadratic model's scalars.</summary>
    public double Scalars { get; internal set; }

    /// <summary>All-reduces of the parameter gradients.</summary>
    public double Gradients { get; internal set; }

    /// <summary>All-reduces of the factor statistics.</summary>
    public double Statistics { get; internal set; }

    /// <summary>Broadcasts of inverses (or of preconditioned gradients), with the refresh-failure agreement.</summary>
    public double Broadcasts { get; internal set; }

    /// <summary>Scalars + Gradients + Statistics + Broadcasts, in seconds.</summary>
    public double Total => Scalars + Gradients + Statistics + Broadcasts;

    /// <summary>Elements all-reduced for the statistics so far (the message volume that eager and lazy trade).</summary>
    public long StatisticsElements { get; internal set; }

    /// <summary>Elements broadcast (inverses or preconditioned gradients) so far.</summary>
    public long BroadcastElements { get; internal set; }

    /// <summary>Sets every time and element count back to 0.</summary>
    public void Reset()
    {
        Scalars = Gradients = Statistics = Broadcasts = 0;
        StatisticsElements = BroadcastElements = 0;
    }
}

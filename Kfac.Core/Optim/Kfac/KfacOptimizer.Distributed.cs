using System.Diagnostics;
using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Distributed;
using Kfac.Linalg;
using Kfac.Losses;
using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Optim.Kfac;

/// <summary>
/// Distributed K-FAC (Ba, Grosse &amp; Martens 2017): synchronous data parallelism where every rank holds a replica
/// and steps on its shard of the batch, and everything a decision depends on passes through the communicator, so
/// that every rank takes exactly the same lambda, gamma, alpha and mu and the replicas stay bit-identical:
/// <list type="bullet">
/// <item>mini-batch losses (the step's, the reduction ratio's before and after) as sum_r (n_r/B) l_r;</item>
/// <item>gradients, all-reduced with weight n_r/B (<see cref="GradientAllReducer"/>);</item>
/// <item>factor statistics, all-reduced with weight s_r / sum s (s_r: the rank's statistics rows), eagerly or lazily
/// (<see cref="StatisticsReduction"/>);</item>
/// <item>the quadratic model's Fisher terms Delta^T F Delta, Delta^T F delta0 (one all-reduce per trial) and
/// delta0^T F delta0 (one per step), weighted by the rank's share of the model's rows. The plain inner products
/// (grad^T Delta, |Delta|^2, ...) need none: the vectors are already identical on every rank.</item>
/// <item>inverses computed once per refresh on their LPT-assigned owner and broadcast (or their preconditioned
/// gradients broadcast), see <see cref="InversePlacement"/>.</item>
/// </list>
/// The sampled Fisher targets do not depend on the rank count: row i of the (global) statistics rows draws the
/// counters a single process would give it (the rank skips the counters of the rows before its own). The statistics
/// and quadratic-model row subsets (fractions below 1) are each shard's leading rows: the union over ranks is a
/// subset of the (shuffled) batch of the same size up to rounding, but not the single process's leading rows.
/// A rank's step is the single-process <see cref="Step"/> on its shard: every rank makes the same
/// <see cref="KfacStepPlan"/> (its inputs, k, the options and the schedule state, are the same on every rank; only the
/// row counts are the shard's) and runs the same phases, whose reductions are the hooks above.
/// </summary>
public sealed partial class KfacOptimizer
{
    private ICommunicator? _communicator;
    private DistributedKfacOptions _distributedOptions = new();
    private BatchShard _shard;
    private int _batchSize;
    private GradientAllReducer? _gradientReducer;
    private PackedTensors? _statisticsMessage;
    private bool _statisticsUnreduced;
    private double _unreducedStatisticsWeight;
    private int[]? _inverseOwners;
    private bool[]? _broadcastable;
    private PackedTensors?[]? _inverseMessages;   // per owner rank: the inverse buffers of its broadcastable blocks
    private PackedTensors?[]? _directionMessages; // per owner rank: the Delta slices of its broadcastable blocks
    private int[][]? _ownerBlocks;                // per owner rank: its broadcastable blocks, in block order

    /// <summary>The communicator the optimizer reduces through (null until <see cref="Distribute"/>).</summary>
    public ICommunicator? Communicator => _communicator;

    /// <summary>The distributed options given to <see cref="Distribute"/> (the defaults before it is called).</summary>
    public DistributedKfacOptions DistributedOptions => _distributedOptions;

    /// <summary>Seconds spent in collectives, by kind (all zero on one process).</summary>
    public KfacCommunication Communication { get; } = new();

    /// <summary>Each block's owner rank (the rank that computes its inverse), or null before the blocks exist or on
    /// one process.</summary>
    public IReadOnlyList<int>? InverseOwners => _inverseOwners;

    private bool IsDistributed => _communicator is { Size: > 1 };

    /// <summary>
    /// Makes this optimizer one rank of distributed K-FAC over <paramref name="communicator"/>: from then on, steps
    /// are taken with <see cref="StepOnShard"/>. Call it before the first step, on every rank, with the same options.
    /// On a one-rank communicator nothing is reduced and the steps are the single-process ones, bit for bit.
    /// </summary>
    public void Distribute(ICommunicator communicator, DistributedKfacOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (Iteration > 0 || _blocks is not null)
            throw new InvalidOperationException($"Distribute must be called before the first step (this optimizer has taken {Iteration} steps)");
        _communicator = communicator;
        _distributedOptions = options ?? new DistributedKfacOptions();
        if (IsDistributed) _gradientReducer = new GradientAllReducer(communicator, _parameters);
    }

    /// <summary>
    /// One distributed K-FAC iteration: <paramref name="inputs"/>/<paramref name="targets"/> are this rank's rows
    /// <paramref name="shard"/> of a batch of <paramref name="batchSize"/> rows. Every rank must call it with the
    /// same batch size; the result (loss, alpha, mu, lambda, gamma, rho) is the whole batch's and the same on every
    /// rank.
    /// </summary>
    public KfacStepResult StepOnShard(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets, BatchShard shard, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var c = _communicator ?? throw new InvalidOperationException("StepOnShard needs Distribute(communicator) first");
        var expected = BatchShard.Of(batchSize, c.Rank, c.Size);
        if (shard != expected)
            throw new ArgumentException($"rank {c.Rank} of {c.Size} on a batch of {batchSize} must hold rows {expected}, got {shard}", nameof(shard));
        if (inputs.Rank < 1 || inputs.Shape[0] != shard.Count)
            throw new ShapeMismatchException($"KfacOptimizer.StepOnShard: inputs {inputs.Shape} must have the shard's {shard.Count} rows", nameof(inputs));
        _shard = shard;
        _batchSize = batchSize;
        return Step(forward, inputs, targets);
    }

    /// <summary>Rows of each rank's subset of its shard at fraction <paramref name="fraction"/> (as the single process
    /// takes them from its batch), for every rank: deterministic, so no communication.</summary>
    private int SubsetRows(double fraction, int rank) => RowsFor(fraction, BatchShard.Of(_batchSize, rank, _communicator!.Size).Count);

    /// <summary>This rank's share of the union of the ranks' subsets at <paramref name="fraction"/>, and the number
    /// of subset rows on lower ranks.</summary>
    private (double Weight, int RowsBefore, int RowsTotal) SubsetShare(double fraction)
    {
        int before = 0, total = 0;
        for (int r = 0; r < _communicator!.Size; r++)
        {
            int rows = SubsetRows(fraction, r);
            if (r < _communicator.Rank) before += rows;
            total += rows;
        }
        return ((double)SubsetRows(fraction, _communicator.Rank) / total, before, total);
    }

    /// <summary>This rank's weight in the quadratic model's Fisher terms (1 on one process).</summary>
    private double QuadraticShare() => IsDistributed ? SubsetShare(Options.QuadraticModelFraction).Weight : 1;

    /// <summary>The whole batch's mean from this shard's mean: sum over ranks of (n_r / B) value_r (one all-reduce).</summary>
    private double ReduceBatchMean(double shardMean)
    {
        if (!IsDistributed) return shardMean;
        long t0 = Stopwatch.GetTimestamp();
        double mean = _communicator!.AllReduce(_shard.Weight(_batchSize) * shardMean, ReduceOperation.Sum);
        Communication.Scalars += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return mean;
    }

    /// <summary><see cref="ReduceBatchMean"/> of two values in one all-reduce.</summary>
    private (double First, double Second) ReduceBatchMeans(double first, double second)
    {
        if (!IsDistributed) return (first, second);
        Span<double> values = [first, second];
        ReduceScalars(values, _shard.Weight(_batchSize));
        return (values[0], values[1]);
    }

    /// <summary>The mean over the union of the ranks' rho rows (<see cref="KfacOptions.RhoFraction"/>) from this rank's
    /// mean over its own: the batch mean when they are whole shards, else weighted by the ranks' subset rows.</summary>
    private double ReduceRhoMean(double shardMean)
    {
        if (!IsDistributed || Options.RhoFraction == 1) return ReduceBatchMean(shardMean);
        Span<double> value = [shardMean];
        ReduceScalars(value, SubsetShare(Options.RhoFraction).Weight);
        return value[0];
    }

    /// <summary>Sums the packed per-rank values, each scaled by <paramref name="weight"/> first (one all-reduce).</summary>
    private void ReduceScalars(Span<double> values, double weight)
    {
        if (!IsDistributed) return;
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < values.Length; i++) values[i] *= weight;
        _communicator!.AllReduce(values, ReduceOperation.Sum);
        Communication.Scalars += Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    /// <summary>Gradients of the shard's mean loss become those of the batch's mean loss.</summary>
    private void ReduceGradients()
    {
        if (!IsDistributed) return;
        _gradientReducer!.AllReduce(_shard.Weight(_batchSize));
        Communication.Gradients += _gradientReducer.LastCommunicationSeconds;
    }

    /// <summary>
    /// Fisher targets sampled for this rank's statistics rows with the counters a single process would use for the
    /// same global rows: the stream skips the draws of lower ranks' rows before sampling and all the rows' draws
    /// after. The draws per row are measured on one row with a scratch stream (every loss draws a fixed number per
    /// row, indexed by element).
    /// </summary>
    private void BackpropagateFisherTargets(Tensor output, bool retainGraph)
    {
        if (!IsDistributed || Options.Estimation != FisherEstimation.Sampled)
        {
            FisherTargets.Backpropagate(Loss, output, Options.Estimation, _rng, _recorder, retainGraph);
            return;
        }
        ulong perRow;
        using (GradMode.Disable())
        using (TensorScope.Begin())
        {
            var probe = new RandomStream(Options.Seed);
            Loss.Sample(new Tensor(output.Storage, output.Shape.With(0, 1)), probe);
            perRow = probe.Offset;
        }
        // The sampled rows are the shard's statistics rows (all of them when RowsFor gives the whole shard).
        var (_, before, total) = SubsetShare(Options.StatisticsFraction);
        ulong start = _rng.Offset;
        _rng.Offset = start + (ulong)before * perRow;
        FisherTargets.Backpropagate(Loss, output, Options.Estimation, _rng, _recorder, retainGraph);
        _rng.Offset = start + (ulong)total * perRow;
    }

    /// <summary>After the EMA update of the factors: reduce them now (eager) or remember that they need it (lazy).</summary>
    private void AfterStatisticsUpdate()
    {
        if (!IsDistributed) return;
        // The empirical Fisher's statistics come from the true-label pass over the whole shard; the others from the
        // shard's statistics rows.
        double weight = Options.Estimation == FisherEstimation.Empirical ? _shard.Weight(_batchSize) : SubsetShare(Options.StatisticsFraction).Weight;
        _statisticsMessage ??= CurvatureBlock.StatisticsMessage(_blocks!);
        if (_distributedOptions.Statistics == StatisticsReduction.Eager) ReduceStatistics(weight);
        else
        {
            _statisticsUnreduced = true;
            _unreducedStatisticsWeight = weight;
        }
    }

    /// <summary>Lazy statistics: the ranks' EMAs combined before the inverses are computed from them.</summary>
    private void ReduceLazyStatistics()
    {
        if (!_statisticsUnreduced) return;
        ReduceStatistics(_unreducedStatisticsWeight);
        _statisticsUnreduced = false;
    }

    private void ReduceStatistics(double weight)
    {
        long t0 = Stopwatch.GetTimestamp();
        _statisticsMessage!.AllReduceSum(_communicator!, weight);
        Communication.Statistics += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        Communication.StatisticsElements += _statisticsMessage.Elements;
    }

    /// <summary>The owner of every block (LPT over the ranks by inverse cost) and the messages per owner; once.</summary>
    private void EnsureInverseAssignment()
    {
        if (_inverseOwners is not null) return;
        var c = _communicator!;
        var blocks = _blocks!;
        _inverseOwners = InverseAssignment.Assign(blocks.Select(b => b.InverseCost).ToArray(), c.Size);
        // A block whose inverse is not in buffers (eigenbasis damping, the tridiagonal chain) is computed on every rank.
        _broadcastable = blocks.Select(b => b.InverseIsBroadcastable).ToArray();
        _ownerBlocks = Enumerable.Range(0, c.Size)
            .Select(r => Enumerable.Range(0, blocks.Count).Where(b => _broadcastable[b] && _inverseOwners[b] == r).ToArray()).ToArray();
        _inverseMessages = _ownerBlocks.Select(bs => bs.Length == 0 ? null : CurvatureBlock.InverseMessage(bs.Select(b => blocks[b]))).ToArray();
        _directionMessages = _ownerBlocks.Select(bs => bs.Length == 0 ? null : new PackedTensors(bs.SelectMany(b => _blockDirections![b]))).ToArray();
    }

    /// <summary>Whether this rank computes block <paramref name="b"/>'s inverse (and, with broadcast directions, its Delta).</summary>
    private bool ComputesHere(int b) =>
        !IsDistributed || _distributedOptions.Inverses == InversePlacement.Replicated || !_broadcastable![b] || _inverseOwners![b] == _communicator!.Rank;

    /// <summary>Whether this rank holds block <paramref name="b"/>'s inverse after a refresh (computed here or received).</summary>
    private bool HoldsInverse(int b) => ComputesHere(b) || _distributedOptions.Inverses == InversePlacement.BroadcastInverses;

    /// <summary>
    /// The distributed refresh: each rank refreshes the blocks it computes; then the failures are agreed on (one
    /// all-reduce of a flag per block) and, with broadcast inverses, each owner broadcasts its blocks' inverse buffers
    /// and checkpoint scalars (damping after retries, pi). Returns the failures, in block order, on every rank.
    /// </summary>
    private List<(CurvatureBlock Block, LinalgException Error)>? RefreshDistributed(double gamma)
    {
        var blocks = _blocks!;
        EnsureInverseAssignment();
        var mine = Enumerable.Range(0, blocks.Count).Where(ComputesHere).ToArray();
        var failures = ConcurrentInverseRefresh.RefreshAll(mine.Select(b => blocks[b]).ToArray(), gamma);
        if (_distributedOptions.Inverses == InversePlacement.Replicated) return failures;

        long t0 = Stopwatch.GetTimestamp();
        var c = _communicator!;
        // One flag per block, set by the rank that computed it: every rank learns every failure.
        var failed = new int[blocks.Count];
        if (failures is not null)
            foreach (var (block, _) in failures)
            {
                int b = blocks.IndexOf(block);
                if (_broadcastable![b]) failed[b] = 1;
            }
        c.AllReduce<int>(failed, ReduceOperation.Max);
        if (_distributedOptions.Inverses == InversePlacement.BroadcastInverses) BroadcastOwnedInverses();
        var result = failures?.Where(f => !_broadcastable![blocks.IndexOf(f.Block)]).ToList() ?? [];
        for (int b = 0; b < blocks.Count; b++)
            if (failed[b] != 0)
                result.Add((blocks[b], failures?.FirstOrDefault(f => ReferenceEquals(f.Block, blocks[b])).Error
                    ?? new RemoteInverseException($"{blocks[b].Description}: its inverse failed on rank {_inverseOwners![b]}")));
        Communication.Broadcasts += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        result.Sort((x, y) => blocks.IndexOf(x.Block).CompareTo(blocks.IndexOf(y.Block)));
        return result.Count == 0 ? null : result;
    }

    /// <summary>Each owner broadcasts its blocks' inverse buffers (one message per owner) and their scalars (damping
    /// after retries, pi). A failed block's buffers travel too (the message is fixed); its statistics are then reset
    /// everywhere by the caller.</summary>
    private void BroadcastOwnedInverses()
    {
        var c = _communicator!;
        for (int r = 0; r < c.Size; r++)
        {
            if (_inverseMessages![r] is not { } message) continue;
            var owned = _ownerBlocks![r];
            foreach (int b in owned) if (r != c.Rank) _blocks![b].StateReplaced();
            message.Broadcast(c, r);
            Communication.BroadcastElements += message.Elements;
            BroadcastInverseScalars(owned, r);
        }
    }

    /// <summary>The owner's checkpoint scalars (damping used, pi, ...) of <paramref name="owned"/>, broadcast and loaded.</summary>
    private void BroadcastInverseScalars(int[] owned, int root)
    {
        var blocks = _blocks!;
        var c = _communicator!;
        var names = owned.Select(b => blocks[b].StateScalars().Select(s => s.Name).ToArray()).ToArray();
        var values = new double[names.Sum(n => n.Length)];
        if (c.Rank == root)
        {
            int i = 0;
            foreach (int b in owned) foreach (var (_, v) in blocks[b].StateScalars()) values[i++] = v;
        }
        c.Broadcast<double>(values, root);
        if (c.Rank == root) return;
        int k = 0;
        for (int j = 0; j < owned.Length; j++)
        {
            var scalars = new Dictionary<string, double>();
            foreach (var n in names[j]) scalars[n] = values[k++];
            blocks[owned[j]].LoadStateScalars(scalars);
        }
    }

    /// <summary>With broadcast directions: each owner broadcasts the Delta slices of its blocks.</summary>
    private void BroadcastDirections()
    {
        if (!IsDistributed || _distributedOptions.Inverses != InversePlacement.BroadcastDirections) return;
        long t0 = Stopwatch.GetTimestamp();
        for (int r = 0; r < _communicator!.Size; r++)
        {
            if (_directionMessages![r] is not { } message) continue;
            message.Broadcast(_communicator, r);
            Communication.BroadcastElements += message.Elements;
        }
        Communication.Broadcasts += Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    /// <summary>Whether every rank could keep its gamma trial (ranks that own no inverse of a block cannot), so they
    /// all restore or all recompute.</summary>
    private bool AgreeOnKeptTrial(bool kept)
    {
        if (!IsDistributed) return kept;
        long t0 = Stopwatch.GetTimestamp();
        Span<int> flag = [kept ? 1 : 0];
        _communicator!.AllReduce(flag, ReduceOperation.Min);
        Communication.Scalars += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return flag[0] == 1;
    }
}

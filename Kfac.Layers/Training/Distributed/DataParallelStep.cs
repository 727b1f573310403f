using System.Diagnostics;
using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Tensors;

namespace Kfac.Training.Distributed;

/// <summary>
/// Synchronous data-parallel training for the first-order optimizers (SGD, momentum, Adam, RMSProp): every
/// rank holds a replica of the model and optimizer, receives the same mini-batch (loaders with the same seed)
/// and trains on its own disjoint shard of it (<see cref="BatchShard"/>). Per step:
/// <list type="number">
/// <item>forward and loss on the shard: l_r, the mean over its n_r examples;</item>
/// <item>the batch loss sum_r (n_r / B) l_r is all-reduced first (one double), so every rank agrees whether to
/// skip the step (a non-finite loss anywhere makes the sum non-finite everywhere);</item>
/// <item>backward, then the gradients all-reduced in buckets with scale n_r / B (<see cref="GradientAllReducer"/>):
/// every rank holds the gradient of the whole batch's mean loss;</item>
/// <item>the optimizer's ordinary step. The reduced gradients are the same bits on every rank, so the replicas
/// stay bit-identical without further communication.</item>
/// </list>
/// Up to float rounding (the order of the batch sum differs), the update equals one process stepping on the
/// whole batch. The constructor broadcasts rank 0's parameters and buffers so that replicas start identical.
/// Buffers (batch-norm running statistics) are averaged over ranks after each step, skipped steps included; batch norm itself
/// normalises over each rank's shard, as in PyTorch DDP without SyncBatchNorm.
/// </summary>
public sealed class DataParallelStep : ITrainingStep
{
    private readonly ILoss _loss;
    private readonly GradientAllReducer _reducer;
    private readonly Tensor[] _buffers;

    /// <summary>Data-parallel training of <paramref name="model"/> with <paramref name="optimizer"/> over <paramref name="communicator"/>'s ranks,
    /// all-reducing gradients in buckets of <paramref name="bucketBytes"/>; <paramref name="optimizerName"/> is logged.</summary>
    public DataParallelStep(Module model, ILoss loss, Optimizer optimizer, string optimizerName, ICommunicator communicator,
        int bucketBytes = GradientAllReducer.DefaultBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(communicator);
        Model = model;
        _loss = loss;
        Optimizer = optimizer;
        OptimizerName = optimizerName;
        Communicator = communicator;
        var modelParameters = model.Parameters();
        var optimized = new HashSet<Tensor>(optimizer.Parameters(), ReferenceEqualityComparer.Instance);
        foreach (var p in modelParameters)
            if (!optimized.Contains(p))
                throw new ArgumentException($"the model's parameter {p} is not one of the optimizer's; data-parallel training reduces and updates every parameter", nameof(optimizer));
        _reducer = new GradientAllReducer(communicator, modelParameters, bucketBytes);
        _buffers = model.NamedBuffers().Select(b => b.Buffer).Where(b => b.DType is DType.Float32 or DType.Float64).ToArray();
        foreach (var p in modelParameters) communicator.Broadcast(p, root: 0);
        foreach (var b in _buffers) communicator.Broadcast(b, root: 0);
    }

    /// <inheritdoc/>
    public string OptimizerName { get; }

    /// <summary>The model replica on this rank.</summary>
    public Module Model { get; }

    /// <summary>The optimizer stepping on the reduced gradients.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The ranks' communicator.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>Steps skipped because the batch loss or the reduced gradient was not finite (the same count on
    /// every rank).</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>The gradient reduction's buckets and timings.</summary>
    public GradientAllReducer Reducer => _reducer;

    /// <summary>Seconds of the last step spent in collectives (loss agreement, gradient buckets, buffers).</summary>
    public double LastCommunicationSeconds { get; private set; }

    /// <summary>Seconds spent in collectives since construction.</summary>
    public double TotalCommunicationSeconds { get; private set; }

    /// <summary>One step on this rank's shard of the batch <paramref name="inputs"/> [B, ...] /
    /// <paramref name="targets"/> [B, ...] (the same batch on every rank). Returns the whole batch's mean loss
    /// before the update, or NaN when the step was skipped.</summary>
    public double Step(Tensor inputs, Tensor targets)
    {
        var shard = BatchShard.OfBatch(inputs, targets, Communicator);
        int batch = inputs.Shape[0];
        var x = shard.Rows(inputs);
        var t = shard.Rows(targets);
        double weight = shard.Weight(batch);
        double communication = 0;

        Optimizer.ZeroGrad();
        var value = _loss.Value(Model.Forward(x), t);
        double local = value.Item();
        long t0 = Stopwatch.GetTimestamp();
        double batchLoss = Communicator.AllReduce(weight * local, ReduceOperation.Sum);
        communication += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        if (!double.IsFinite(batchLoss))
        {
            SkippedSteps++;
            Finish(communication);
            return double.NaN;
        }
        value.Backward();
        if (Communicator.Size > 1)
        {
            // One rank holds the whole batch (weight 1): nothing to reduce, and the step costs what
            // FirstOrderStep costs.
            _reducer.AllReduce(weight);
            communication += _reducer.LastCommunicationSeconds;
        }
        if (!Optimizer.GradientsAreFinite())
        {
            SkippedSteps++;
            Finish(communication);
            return double.NaN;
        }
        Optimizer.Step();
        Finish(communication);
        return batchLoss;
    }

    /// <summary>Averages the buffers over the ranks (the forward pass moved each rank's running statistics by its own
    /// shard, also on a skipped step) and records the step's communication time.</summary>
    private void Finish(double communication)
    {
        if (_buffers.Length > 0)
        {
            long t1 = Stopwatch.GetTimestamp();
            foreach (var b in _buffers) Communicator.AllReduceMean(b);
            communication += Stopwatch.GetElapsedTime(t1).TotalSeconds;
        }
        LastCommunicationSeconds = communication;
        TotalCommunicationSeconds += communication;
    }

    /// <inheritdoc/>
    public OptimizerStateDict ExportState() => Optimizer.ExportState();

    /// <inheritdoc/>
    public void ImportState(OptimizerStateDict state) => Optimizer.ImportState(state);

    /// <inheritdoc/>
    public double? LearningRate => Optimizer.LearningRate;

    /// <inheritdoc/>
    public void SetLearningRate(double learningRate) => Optimizer.LearningRate = learningRate;
}

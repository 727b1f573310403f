using Kfac.Optim;
using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Optim.Kfac;
using Kfac.Tensors;

namespace Kfac.Training.Distributed;

/// <summary>
/// Synchronous data-parallel K-FAC (Ba, Grosse &amp; Martens 2017): every rank holds a replica of the model and of
/// the optimizer, receives the same mini-batch and steps on its shard of it (<see cref="BatchShard"/>); the optimizer
/// reduces what its decisions depend on (losses, gradients, factor statistics, the quadratic model's terms) and
/// divides the inverse work (<see cref="KfacOptimizer.Distribute"/>), so the replicas stay bit-identical and the
/// update equals, up to float rounding, one process's on the whole batch. The constructor broadcasts rank 0's
/// parameters and buffers so the replicas start identical.
/// <para>Buffers (batch norm's running statistics) are averaged over the ranks after every step, accepted or
/// rejected, as <see cref="DataParallelStep"/> does; batch norm itself normalises with each rank's shard statistics
/// in training mode, as PyTorch DDP without SyncBatchNorm. With batch norm the update is therefore not the one a
/// single process would take on the whole batch (the shards' normalisations differ), but every rank takes the same
/// one: the gradients, factor statistics and the quadratic model's terms are reduced, so the replicas, their buffers
/// included, stay bit-identical.</para>
/// </summary>
public sealed class DistributedKfacStep : IKfacTrainingStep
{
    /// <summary>Distributed K-FAC training of <paramref name="model"/> by <paramref name="optimizer"/> over
    /// <paramref name="communicator"/>'s ranks (<paramref name="options"/>: statistics reduction, inverse placement;
    /// null: the defaults). Rank 0's parameters are broadcast so that the replicas start identical.</summary>
    public DistributedKfacStep(Module model, KfacOptimizer optimizer, ICommunicator communicator, DistributedKfacOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(communicator);
        var optimized = new HashSet<Tensor>(optimizer.Parameters, ReferenceEqualityComparer.Instance);
        foreach (var p in model.Parameters())
            if (!optimized.Contains(p))
                throw new ArgumentException($"the model's parameter {p} is not one of the optimizer's; distributed K-FAC updates every parameter", nameof(optimizer));
        _buffers = model.NamedBuffers().Select(b => b.Buffer).Where(b => b.DType is DType.Float32 or DType.Float64).ToArray();
        Model = model;
        Optimizer = optimizer;
        Communicator = communicator;
        optimizer.Distribute(communicator, options);
        foreach (var p in optimizer.Parameters) communicator.Broadcast(p, root: 0);
        foreach (var b in _buffers) communicator.Broadcast(b, root: 0);
    }

    private readonly Tensor[] _buffers;

    /// <summary>"kfac", as logged.</summary>
    public string OptimizerName => "kfac";

    /// <summary>The model replica on this rank.</summary>
    public Module Model { get; }

    /// <summary>The K-FAC optimizer, distributed over <see cref="Communicator"/>.</summary>
    public KfacOptimizer Optimizer { get; }

    /// <summary>The ranks' communicator.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>The last step's details (alpha, mu, rho, lambda, gamma): the same on every rank.</summary>
    public KfacStepResult? Last { get; private set; }

    /// <summary>One step on this rank's shard of the batch <paramref name="inputs"/> [B, ...] / <paramref name="targets"/>
    /// [B, ...] (the same batch on every rank). Returns the whole batch's mean loss before the update, or NaN when the
    /// step was rejected.</summary>
    public double Step(Tensor inputs, Tensor targets)
    {
        var shard = BatchShard.OfBatch(inputs, targets, Communicator);
        int batch = inputs.Shape[0];
        Last = Optimizer.StepOnShard(Model.Forward, shard.Rows(inputs), shard.Rows(targets), shard, batch);
        // The training-mode passes moved each rank's running statistics by its own shard, whether or not the step
        // was accepted: average them so the replicas stay identical.
        foreach (var b in _buffers) Communicator.AllReduceMean(b);
        return Last.Rejected ? double.NaN : Last.Loss;
    }

    /// <inheritdoc/>
    public OptimizerStateDict ExportState() => Optimizer.ExportState();

    /// <inheritdoc/>
    public void ImportState(OptimizerStateDict state) => Optimizer.ImportState(state);

    /// <summary>Null: K-FAC's learning rate (<see cref="KfacOptions.LearningRate"/>, used by the fixed and KL-clipped
    /// step sizes) is configuration, never restored from a checkpoint.</summary>
    public double? LearningRate => null;

    /// <summary>Throws <see cref="NotSupportedException"/>: K-FAC's learning rate is an option (<see cref="KfacOptions.LearningRate"/>); build the step with it.</summary>
    public void SetLearningRate(double learningRate) =>
        throw new NotSupportedException($"K-FAC's learning rate is configuration (KfacOptions.LearningRate = {Optimizer.Options.LearningRate}); build the step with the rate wanted instead of setting {learningRate}");
}

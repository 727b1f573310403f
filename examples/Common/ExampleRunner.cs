using Kfac.Data;
using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Serialization;
using Kfac.Tensors;
using Kfac.Training;
using Kfac.Training.Distributed;

namespace Kfac.Examples;

/// <summary>The part every example shares: budget, metrics log, progress, checkpoints and resuming.</summary>
public static class ExampleRunner
{
    public static Trainer.Summary Run(RunSettings s, Module model, ITrainingStep step, DataLoader loader, Func<Batch, Tensor> targets,
        Func<IReadOnlyDictionary<string, double>> evaluate)
    {
        var budget = new TrainingBudget { Epochs = s.Epochs, Seconds = s.Seconds, Steps = s.Steps };
        if (budget.Epochs is null && budget.Seconds is null && budget.Steps is null) budget = budget with { Epochs = 1 };
        // Everything that can be refused is refused before the log is opened (opening it without --resume
        // truncates it): the options (ExampleCommand.Read), the budget and loader, then the checkpoint.
        Trainer.CheckCanTrain(loader, budget);

        var start = new TrainingPosition(0, 0, 0, loader.Seed, loader.BatchSize);
        if (s.Resume is not null)
        {
            start = Checkpoint.Restore(s.Resume, model, step.ImportState, step.OptimizerName);
            CheckPositionFits(s.Resume, start, loader);
            Console.WriteLine($"resumed from {s.Resume} at step {start.Step}, epoch {start.Epoch}, batch {start.Batch}");
            // An explicit --lr wins over the checkpoint's (first-order optimizers store it; K-FAC's options are
            // configuration and always come from the command line).
            if (s.LearningRate is { } lr && step.LearningRate is { } previous)
            {
                step.SetLearningRate(lr);
                if (previous != lr) Console.WriteLine($"learning rate {lr} from --lr (the checkpoint had {previous})");
            }
        }
        // Distributed: every rank trains; rank 0 alone logs and shows progress, checkpoints are written by rank 0
        // (collectively, see DistributedCheckpoint), and the ranks agree on the clock so that they stop, evaluate
        // and checkpoint after the same steps.
        var communicator = DistributedSetup.Communicator(s);
        bool leader = communicator.Rank == 0;
        // Partial files of a killed writer go now (rank 0 alone writes checkpoints, so it alone cleans up).
        if (leader && s.Checkpoint is not null && AtomicFile.RemoveStaleTemporaries(s.Checkpoint) is > 0 and var removed)
            Console.WriteLine($"removed {removed} partial checkpoint file(s) left by an interrupted write of {s.Checkpoint}");
        using var log = s.Log is null || !leader ? null : MetricsLog.Open(s.Log, append: s.Resume is not null);
        using var progress = leader ? new ConsoleProgress($"{step.OptimizerName} on {s.Data}") : null;
        bool traceRejections = Environment.GetEnvironmentVariable("KFAC_TRACE_REJECTIONS") == "1";
        double lastRho = double.NaN; // the latest measured reduction ratio (see AfterStep)
        Trainer? trainer = null;
        trainer = new Trainer(step, loader, targets, budget)
        {
            LogEverySeconds = s.LogEverySeconds,
            EvaluateEverySteps = s.EvaluateEverySteps,
            EvaluateEveryEpochs = s.EvaluateEveryEpochs,
            Log = log,
            Progress = progress,
            StartStep = start.Step,
            StartEpoch = start.Epoch,
            StartBatch = start.Batch,
            Tags = communicator.Size == 1
                ? new Dictionary<string, MetricValue> { ["batch_size"] = s.BatchSize, ["seed"] = s.Seed }
                : new Dictionary<string, MetricValue> { ["batch_size"] = s.BatchSize, ["seed"] = s.Seed, ["ranks"] = communicator.Size },
            SynchronizeSeconds = communicator.Size == 1 ? null : seconds => communicator.AllReduce(seconds, ReduceOperation.Max),
            AfterStep = (n, _) =>
            {
                // rho is measured every LambdaInterval steps (NaN between): the log shows the latest measured one.
                if (step is IKfacTrainingStep { Last: { } last } && double.IsFinite(last.Rho)) lastRho = last.Rho;
                // Every rejection with its reason on stderr (the metrics log counts them in rejected_steps).
                if (traceRejections && step is IKfacTrainingStep { Last: { Rejected: true } rejected })
                    Console.Error.WriteLine($"rejected at step {n}: {rejected.RejectionReason}");
            },
            Evaluate = () =>
            {
                var metrics = Datasets.Relabel(s, evaluate());
                if (step is IKfacTrainingStep { Last: { } r })
                    metrics = new Dictionary<string, double>(metrics) { ["lambda"] = r.Lambda, ["gamma"] = r.Gamma, ["alpha"] = r.Alpha, ["mu"] = r.Mu, ["rejected_steps"] = r.Rejections, ["shrunk_steps"] = r.ShrunkSteps, ["rho"] = lastRho, ["model_change"] = r.ModelChange, ["step_rejected"] = r.Rejected ? 1 : 0 };
                if (s.Checkpoint is not null) Save(communicator, s.Checkpoint, model, step, trainer!.Position);
                return metrics;
            },
        };
        var summary = trainer.Run();
        RunOutputs.Write(s, model);
        if (s.Checkpoint is not null)
        {
            Save(communicator, s.Checkpoint, model, step, trainer.Position);
            Console.WriteLine($"checkpoint: {s.Checkpoint}");
        }
        return summary;
    }

    /// <summary>A mid-epoch position continues the same permutation only with the same loader seed and batch size.</summary>
    private static void CheckPositionFits(string path, TrainingPosition start, DataLoader loader)
    {
        if (start.Batch == 0) return;
        if (start.BatchSize != 0 && start.BatchSize != loader.BatchSize)
            throw new CheckpointException(path, $"it stopped in the middle of epoch {start.Epoch} (batch {start.Batch}) with batch size {start.BatchSize}; this run has --batch-size {loader.BatchSize}. Resume with the same batch size");
        if (start.LoaderSeed != -1 && start.LoaderSeed != loader.Seed)
            throw new CheckpointException(path, $"it stopped in the middle of epoch {start.Epoch} (batch {start.Batch}) with shuffling seed {start.LoaderSeed}; this run's is {loader.Seed}. Resume with the same --seed");
        if (start.Batch >= loader.BatchCount)
            throw new CheckpointException(path, $"its next batch is {start.Batch} but an epoch of this run has {loader.BatchCount} batches");
    }

    private static void Save(ICommunicator communicator, string path, Module model, ITrainingStep step, TrainingPosition position)
    {
        var metadata = position.ToMetadata();
        metadata["optimizer"] = step.OptimizerName;
        DistributedCheckpoint.Save(communicator, path, model, step.ExportState, metadata);
    }
}

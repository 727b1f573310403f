using System.Globalization;
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

        long startStep = 0;
        int startEpoch = 0;
        if (s.Resume is not null)
        {
            using var contents = Checkpoint.Load(s.Resume);
            model.LoadStateDict(contents.Model);
            Optimizers.ImportState(step, contents.Optimizer);
            startStep = long.Parse(contents.Metadata["step"], CultureInfo.InvariantCulture);
            startEpoch = int.Parse(contents.Metadata["epoch"], CultureInfo.InvariantCulture);
            Console.WriteLine($"resumed from {s.Resume} at step {startStep}, epoch {startEpoch}");
        }

        // Distributed: every rank trains; rank 0 alone logs and shows progress, checkpoints are written by rank 0
        // (collectively, see DistributedCheckpoint), and the ranks agree on the clock so that they stop, evaluate
        // and checkpoint after the same steps.
        var communicator = DistributedSetup.Communicator(s);
        bool leader = communicator.Rank == 0;
        using var log = s.Log is null || !leader ? null : MetricsLog.Open(s.Log, append: s.Resume is not null);
        using var progress = leader ? new ConsoleProgress($"{step.OptimizerName} on {s.Data}") : null;
        bool traceRejections = Environment.GetEnvironmentVariable("KFAC_TRACE_REJECTIONS") == "1";
        long currentStep = startStep;
        int currentEpoch = startEpoch;
        var trainer = new Trainer(step, loader, targets, budget)
        {
            LogEverySeconds = s.LogEverySeconds,
            Log = log,
            Progress = progress,
            StartStep = startStep,
            StartEpoch = startEpoch,
            Tags = communicator.Size == 1
                ? new Dictionary<string, MetricValue> { ["batch_size"] = s.BatchSize, ["seed"] = s.Seed }
                : new Dictionary<string, MetricValue> { ["batch_size"] = s.BatchSize, ["seed"] = s.Seed, ["ranks"] = communicator.Size },
            SynchronizeSeconds = communicator.Size == 1 ? null : seconds => communicator.AllReduce(seconds, ReduceOperation.Max),
            AfterStep = (n, _) =>
            {
                currentStep = n;
                currentEpoch = (int)(n / Math.Max(1, loader.BatchCount));
                // Every rejection with its reason on stderr (the metrics log counts them in rejected_steps).
                if (traceRejections && step is KfacStep { Last: { Rejected: true } rejected })
                    Console.Error.WriteLine($"rejected at step {n}: {rejected.RejectionReason}");
            },
            Evaluate = () =>
            {
                var metrics = evaluate();
                if (step is KfacStep { Last: { } r })
                    metrics = new Dictionary<string, double>(metrics) { ["lambda"] = r.Lambda, ["gamma"] = r.Gamma, ["alpha"] = r.Alpha, ["mu"] = r.Mu, ["rejected_steps"] = r.Rejections, ["rho"] = r.Rho, ["model_change"] = r.ModelChange, ["step_rejected"] = r.Rejected ? 1 : 0 };
                if (s.Checkpoint is not null) Save(communicator, s.Checkpoint, model, step, currentStep, currentEpoch);
                return metrics;
            },
        };
        var summary = trainer.Run();
        RunOutputs.Write(s, model);
        if (s.Checkpoint is not null)
        {
            Save(communicator, s.Checkpoint, model, step, summary.Steps, summary.Epochs);
            Console.WriteLine($"checkpoint: {s.Checkpoint}");
        }
        return summary;
    }

    private static void Save(ICommunicator communicator, string path, Module model, ITrainingStep step, long stepCount, int epoch) =>
        DistributedCheckpoint.Save(communicator, path, model, () => Optimizers.ExportState(step), new Dictionary<string, string>
        {
            ["step"] = stepCount.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
            ["optimizer"] = step.OptimizerName,
        });
}

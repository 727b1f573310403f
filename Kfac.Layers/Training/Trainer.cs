using System.Diagnostics;
using Kfac.Data;
using Kfac.Serialization;
using Kfac.Tensors;

namespace Kfac.Training;

/// <summary>
/// The training loop: batches from a <see cref="DataLoader"/>, one <see cref="ITrainingStep"/> per batch inside
/// a <see cref="TensorScope"/> (so steps reuse pooled buffers), a budget in epochs/steps/seconds, and every
/// <see cref="LogEverySeconds"/> of training time (and at the end) an evaluation whose results go to the metrics
/// log as one JSON object per line: optimizer, step, epoch, seconds (training time, evaluation excluded),
/// train_loss (mean mini-batch loss since the previous record), plus the evaluation's metrics.
/// </summary>
public sealed class Trainer(ITrainingStep step, DataLoader loader, Func<Batch, Tensor> targets, TrainingBudget budget)
{
    /// <summary>Training seconds between evaluations/log records (positive; <see cref="double.PositiveInfinity"/> for none
    /// by time).</summary>
    public double LogEverySeconds { get; init; } = 5;

    /// <summary>Also evaluate and log after every this many steps (null: not by steps).</summary>
    public long? EvaluateEverySteps { get; init; }

    /// <summary>Also evaluate and log at the end of every this many epochs (null: not by epochs).</summary>
    public int? EvaluateEveryEpochs { get; init; }

    /// <summary>Extra metrics for each record (e.g. train_error, test_accuracy); runs outside the training clock.</summary>
    public Func<IReadOnlyDictionary<string, double>>? Evaluate { get; init; }

    /// <summary>Where records go (null: no log).</summary>
    public MetricsLog? Log { get; init; }

    /// <summary>Progress display (null: none).</summary>
    public IProgressDisplay? Progress { get; init; }

    /// <summary>Extra constant fields for every record (e.g. batch_size, seed).</summary>
    public IReadOnlyDictionary<string, MetricValue>? Tags { get; init; }

    /// <summary>Called after each step with (step, loss): K-FAC details, schedules, checkpoints.</summary>
    public Action<long, double>? AfterStep { get; init; }

    /// <summary>Step and epoch counters to continue from (a resumed run).</summary>
    public long StartStep { get; init; }

    /// <summary>The epoch to start in (a resumed run).</summary>
    public int StartEpoch { get; init; }

    /// <summary>The index of the first batch to train on in <see cref="StartEpoch"/> (a run resumed mid-epoch;
    /// see <see cref="TrainingPosition"/>).</summary>
    public int StartBatch { get; init; }

    /// <summary>Stop with a <see cref="TrainingDivergedException"/> after this many consecutive steps whose loss
    /// was not finite (skipped steps, K-FAC rejections): a diverged run (e.g. a learning rate of 1e30) would
    /// otherwise skip every step silently until its budget ends. 0 disables the check.</summary>
    public int MaxConsecutiveNonFiniteSteps { get; init; } = 100;

    /// <summary>Where the run stands (updated after every step): steps, the epoch in progress and its next
    /// batch, the loader's seed and batch size. What a checkpoint stores to resume exactly.</summary>
    public TrainingPosition Position { get; private set; }

    /// <summary>Distributed runs: maps this rank's training clock to one that every rank agrees on (e.g. the
    /// all-reduced maximum), so that all ranks stop, log and checkpoint after the same steps. Called once per
    /// step (and once per epoch) when set; every rank must set it.</summary>
    public Func<double, double>? SynchronizeSeconds { get; init; }

    /// <summary>The end of a run.</summary>
    /// <param name="Steps">The step counter at the end (a resumed run counts from <see cref="StartStep"/>).</param>
    /// <param name="Epochs">The epoch counter at the end (completed epochs).</param>
    /// <param name="Seconds">Training seconds (evaluation excluded).</param>
    /// <param name="LastTrainLoss">The mean mini-batch loss of the last record's interval.</param>
    /// <param name="LastEvaluation">The last evaluation's metrics (null without <see cref="Evaluate"/>).</param>
    public sealed record Summary(long Steps, int Epochs, double Seconds, double LastTrainLoss, IReadOnlyDictionary<string, double>? LastEvaluation);

    /// <summary>Trains until the budget is spent, logging and evaluating as configured; refuses an untrainable setup first
    /// (<see cref="CheckCanTrain"/>) and stops a diverged run (<see cref="MaxConsecutiveNonFiniteSteps"/>).</summary>
    public Summary Run()
    {
        CheckCanTrain(loader, budget);
        if (!(LogEverySeconds > 0))
            throw new ArgumentOutOfRangeException(nameof(LogEverySeconds), LogEverySeconds, "must be positive (PositiveInfinity: never by time)");
        if (EvaluateEverySteps is <= 0)
            throw new ArgumentOutOfRangeException(nameof(EvaluateEverySteps), EvaluateEverySteps, "must be positive (null: not by steps)");
        if (EvaluateEveryEpochs is <= 0)
            throw new ArgumentOutOfRangeException(nameof(EvaluateEveryEpochs), EvaluateEveryEpochs, "must be positive (null: not by epochs)");
        if (StartBatch < 0 || StartBatch >= loader.BatchCount)
            throw new ArgumentOutOfRangeException(nameof(StartBatch), StartBatch, $"the loader has {loader.BatchCount} batches per epoch");
        Position = new TrainingPosition(StartStep, StartEpoch, StartBatch, loader.Seed, loader.BatchSize);
        int firstBatch = StartBatch;
        int nonFiniteRun = 0;
        var clock = new Stopwatch();
        long stepCount = StartStep;
        int epoch = StartEpoch;
        double lossSum = 0, lastLoss = double.NaN;
        int lossCount = 0;
        long examples = 0;
        double nextLog = LogEverySeconds;
        long lastRecordStep = -1;
        IReadOnlyDictionary<string, double>? lastEval = null;
        var recent = new Queue<double>();
        double recentSum = 0;

        void Record()
        {
            clock.Stop();
            double trainLoss = lossCount > 0 ? lossSum / lossCount : double.NaN;
            lastEval = Evaluate?.Invoke();
            if (Log is not null)
            {
                var record = new MetricsRecord
                {
                    { "optimizer", step.OptimizerName },
                    { "step", stepCount },
                    { "epoch", epoch },
                    { "seconds", clock.Elapsed.TotalSeconds },
                    { "train_loss", trainLoss },
                };
                if (lastEval is not null) foreach (var (k, v) in lastEval) record.Add(k, v);
                if (Tags is not null) foreach (var (k, v) in Tags) record.Add(k, v);
                Log.Write(record);
            }
            if (lossCount > 0) lastLoss = trainLoss;
            lossSum = 0;
            lossCount = 0;
            clock.Start();
        }

        TrainingProgress Snapshot() => new(step.OptimizerName, stepCount, epoch, clock.Elapsed.TotalSeconds,
            Fraction(epoch, stepCount, clock.Elapsed.TotalSeconds), recent.Count > 0 ? recentSum / recent.Count : double.NaN,
            clock.Elapsed.TotalSeconds > 0 ? examples / clock.Elapsed.TotalSeconds : 0, lastEval);

        double Now() => SynchronizeSeconds is { } agree ? agree(clock.Elapsed.TotalSeconds) : clock.Elapsed.TotalSeconds;

        clock.Start();
        while (!budget.Exhausted(epoch, stepCount, Now()))
        {
            bool completed = true;
            foreach (var batch in loader.Epoch(epoch, firstBatch))
            {
                double loss;
                using (TensorScope.Begin()) loss = step.Step(batch.Inputs, targets(batch));
                stepCount++;
                examples += batch.Count;
                Position = batch.Index + 1 < loader.BatchCount
                    ? new TrainingPosition(stepCount, epoch, batch.Index + 1, loader.Seed, loader.BatchSize)
                    : new TrainingPosition(stepCount, epoch + 1, 0, loader.Seed, loader.BatchSize);
                nonFiniteRun = double.IsFinite(loss) ? 0 : nonFiniteRun + 1;
                if (MaxConsecutiveNonFiniteSteps > 0 && nonFiniteRun >= MaxConsecutiveNonFiniteSteps)
                    throw new TrainingDivergedException($"training diverged: the last {nonFiniteRun} steps (to step {stepCount}, {step.OptimizerName}) had a non-finite loss "
                        + "or gradient and were skipped or rejected, so the run cannot make progress. Lower the learning rate (--lr) or check the data");
                if (double.IsFinite(loss))
                {
                    lossSum += loss;
                    lossCount++;
                    recent.Enqueue(loss);
                    recentSum += loss;
                    if (recent.Count > 20) recentSum -= recent.Dequeue();
                }
                AfterStep?.Invoke(stepCount, loss);
                Progress?.Update(Snapshot());
                double now = Now();
                bool epochEnds = batch.Index == loader.BatchCount - 1;
                // Every rank computes the same step and epoch counts, so step/epoch-driven records stay in lockstep.
                bool due = now >= nextLog
                    || (EvaluateEverySteps is { } everySteps && stepCount % everySteps == 0)
                    || (EvaluateEveryEpochs is { } everyEpochs && epochEnds && (epoch + 1) % everyEpochs == 0);
                if (due)
                {
                    Record();
                    lastRecordStep = stepCount;
                    now = Now();
                    nextLog = now + LogEverySeconds;
                }
                if (budget.Exhausted(epoch, stepCount, now) && batch.Index < loader.BatchCount - 1)
                {
                    completed = false;
                    break;
                }
            }
            firstBatch = 0;
            if (completed) epoch++;
        }
        if (lastRecordStep != stepCount) Record(); // the final record, unless the last step just made it
        clock.Stop();
        Progress?.Complete(Snapshot());
        return new Summary(stepCount, epoch, clock.Elapsed.TotalSeconds, lastLoss, lastEval);
    }

    /// <summary>Refuses, before anything is opened or trained, a setup that cannot train: an invalid budget, or a
    /// loader with no batches per epoch (fewer examples than one batch with the partial batch dropped, or none
    /// at all), which would loop over empty epochs forever under a step budget and "finish" with 0 steps under an
    /// epoch or seconds budget. Programs call it before opening logs; <see cref="Run"/> calls it too.</summary>
    public static void CheckCanTrain(DataLoader loader, TrainingBudget budget)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        if (loader.BatchCount == 0)
            throw new UserInputException($"no training batches: {loader.ExampleCount} training examples with batch size {loader.BatchSize}"
                + (loader.DropLast ? " and the partial batch dropped" : "") + "; use a batch size of at most the number of training examples");
    }

    private double Fraction(int epoch, long steps, double seconds)
    {
        double f = 0;
        if (budget.Epochs is { } e) f = Math.Max(f, ((double)epoch + (double)(steps % Math.Max(1, loader.BatchCount)) / Math.Max(1, loader.BatchCount)) / e);
        if (budget.Steps is { } n) f = Math.Max(f, (double)steps / n);
        if (budget.Seconds is { } s) f = Math.Max(f, seconds / s);
        return Math.Clamp(f, 0, 1);
    }
}

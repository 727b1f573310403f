using System.Diagnostics;
using System.Globalization;
using Kfac.Data;
using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Tensors;
using Kfac.Training;
using Kfac.Training.Distributed;

namespace Kfac.Tests.Mpi;

/// <summary>
/// Data-parallel training checks run by every rank: a small classifier (MLP 10-32-16-4, tanh) on a synthetic,
/// seeded data set, trained by <see cref="DataParallelStep"/> on each rank's shard, and next to it (on every
/// rank, with no communication) a reference replica trained by one <see cref="FirstOrderStep"/> on the whole
/// batch. After every step the ranks all-gather a hash of their weights (bit-identity) and compare their
/// weights with the reference's.
/// </summary>
public static class DataParallelCheck
{
    internal const int Examples = 512, Features = 10, Classes = 4;

    /// <summary>What <see cref="Measure"/> found: the largest |w_parallel - w_single| and |w| over all steps and
    /// weights, the largest loss difference, and whether the ranks' weights were bit-identical after every step.</summary>
    public sealed record TrainResult(double MaxWeightDiff, double MaxAbsWeight, double MaxLossDiff, bool Identical, int Buckets, double Seconds, double CommunicationSeconds);

    public static int Train(ICommunicator c, WorkerOptions o)
    {
        var r = Measure(c, o);
        if (c.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT optimizer={o.Optimizer} ranks={c.Size} steps={o.Steps} batch={o.BatchSize} max_weight_diff={r.MaxWeightDiff:E3} max_abs_weight={r.MaxAbsWeight:F3} max_loss_diff={r.MaxLossDiff:E3} identical={r.Identical} buckets={r.Buckets} seconds={r.Seconds:F2} communication_seconds={r.CommunicationSeconds:F3}"));
        return 0;
    }

    /// <summary>Trains <see cref="WorkerOptions.Steps"/> data-parallel steps next to the whole-batch reference
    /// (collective: every rank calls it).</summary>
    public static TrainResult Measure(ICommunicator c, WorkerOptions o)
    {
        using var run = new Run(c, o);
        double maxDiff = 0, maxWeight = 0, maxLossDiff = 0, communication = 0;
        bool identical = true;
        var clock = Stopwatch.StartNew();
        run.ForEachStep((step, x, t) =>
        {
            double loss = run.Parallel.Step(x, t);
            double reference = run.Reference.Step(x, t);
            communication += run.Parallel.LastCommunicationSeconds;
            maxLossDiff = Math.Max(maxLossDiff, Math.Abs(loss - reference));
            var (diff, weight) = Compare(run.Parallel.Model.Parameters(), run.Reference.Model.Parameters());
            maxDiff = Math.Max(maxDiff, diff);
            maxWeight = Math.Max(maxWeight, weight);
            var hashes = c.AllGather<ulong>([CommunicatorContract.HashOf(run.Parallel.Model.Parameters())]);
            foreach (var h in hashes) identical &= h == hashes[0];
        });
        return new TrainResult(maxDiff, maxWeight, maxLossDiff, identical, run.Parallel.Reducer.BucketCount, clock.Elapsed.TotalSeconds, communication);
    }

    public static int Fault(ICommunicator c, WorkerOptions o)
    {
        using var run = new Run(c, o);
        run.ForEachStep((step, x, t) =>
        {
            if (step == o.AtStep && c.Rank == o.Rank)
            {
                Console.WriteLine($"rank {c.Rank}: simulated failure at step {step}: {(o.Command == "die" ? "killing this process" : "hanging")}");
                Console.Out.Flush();
                if (o.Command == "die") Process.GetCurrentProcess().Kill();
                else Thread.Sleep(Timeout.Infinite);
            }
            run.Parallel.Step(x, t);
        });
        Console.WriteLine($"rank {c.Rank}: finished all {o.Steps} steps (the failure did not stop the job)");
        return 0;
    }

    public static int CheckpointRoundTrip(ICommunicator c, WorkerOptions o)
    {
        string path = o.Path ?? throw new ArgumentException("checkpoint needs --path");
        using var run = new Run(c, o);
        run.ForEachStep((_, x, t) => run.Parallel.Step(x, t));
        DistributedCheckpoint.Save(c, path, run.Parallel.Model, run.Parallel.Optimizer.ExportState,
            new Dictionary<string, string> { ["step"] = o.Steps.ToString(CultureInfo.InvariantCulture) });
        using var contents = Checkpoint.Load(path);
        bool matches = true;
        foreach (var (name, p) in run.Parallel.Model.NamedParameters())
            matches &= contents.Model.TryGetValue(name, out var saved) && saved.ToArray<float>().AsSpan().SequenceEqual(p.ToArray<float>());
        var all = c.AllGather<int>([matches ? 1 : 0]);
        if (c.Rank == 0)
        {
            string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            int leftovers = Directory.GetFiles(directory).Count(f => f != System.IO.Path.GetFullPath(path));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT checkpoint_matches_on_every_rank={all.All(m => m == 1)} other_files_in_directory={leftovers} saved_step={contents.Metadata["step"]}"));
        }
        return 0;
    }

    /// <summary>Max |a - b| over all weights, and max |a|.</summary>
    private static (double Diff, double Weight) Compare(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b)
    {
        double diff = 0, weight = 0;
        for (int i = 0; i < a.Count; i++)
        {
            var x = a[i].ToArray<float>();
            var y = b[i].ToArray<float>();
            for (int j = 0; j < x.Length; j++)
            {
                diff = Math.Max(diff, Math.Abs(x[j] - y[j]));
                weight = Math.Max(weight, Math.Abs(x[j]));
            }
        }
        return (diff, weight);
    }

    /// <summary>The data, the data-parallel replica and the whole-batch reference.</summary>
    private sealed class Run : IDisposable
    {
        private readonly ICommunicator _c;
        private readonly WorkerOptions _o;
        private readonly DataLoader _loader;

        public Run(ICommunicator c, WorkerOptions o)
        {
            _c = c;
            _o = o;
            var (inputs, labels) = SyntheticData(Examples, Features, Classes);
            _loader = new DataLoader(inputs, labels, o.BatchSize, shuffle: true, seed: 11, dropLast: true);
            var loss = new SoftmaxCrossEntropy();
            var model = Mlp.Create([Features, 32, 16, Classes], Activation.Tanh, seed: 3);
            var referenceModel = Mlp.Create([Features, 32, 16, Classes], Activation.Tanh, seed: 3);
            Parallel = new DataParallelStep(model, loss, NewOptimizer(model), o.Optimizer, c, o.BucketBytes);
            Reference = new FirstOrderStep(referenceModel, loss, NewOptimizer(referenceModel), o.Optimizer);
        }

        public DataParallelStep Parallel { get; }

        public FirstOrderStep Reference { get; }

        /// <summary>Calls <paramref name="step"/> for steps 1 .. Steps with the batch (same on every rank) and its
        /// one-hot targets, inside a tensor scope.</summary>
        public void ForEachStep(Action<int, Tensor, Tensor> step)
        {
            int done = 0;
            for (int epoch = 0; done < _o.Steps; epoch++)
                foreach (var batch in _loader.Epoch(epoch))
                {
                    if (done == _o.Steps) break;
                    using var scope = TensorScope.Begin();
                    step(++done, batch.Inputs, SoftmaxOps.OneHot(batch.Labels!, Classes));
                }
        }

        public void Dispose()
        {
            _loader.Dispose();
            Parallel.Optimizer.Dispose();
            Reference.Optimizer.Dispose();
        }

        private Optimizer NewOptimizer(Module model) => _o.Optimizer switch
        {
            "sgd" => new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.2 }),
            "momentum" => new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.1, Momentum = 0.9 }),
            "adam" => new Adam(model.Parameters(), new AdamOptions { LearningRate = 0.01 }),
            _ => throw new ArgumentException($"--optimizer must be sgd, momentum or adam; got '{_o.Optimizer}'"),
        };
    }

    // x ~ N(0, I) (seed 7), label = argmax of x W for a fixed W: learnable, and the same on every rank.
    internal static (Tensor Inputs, int[] Labels) SyntheticData(int Examples, int Features, int Classes)
    {
        var rng = new Random(7);
        var x = new float[Examples * Features];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        var w = new double[Features * Classes];
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextDouble() * 2 - 1;
        var labels = new int[Examples];
        for (int n = 0; n < Examples; n++)
        {
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int k = 0; k < Classes; k++)
            {
                double s = 0;
                for (int f = 0; f < Features; f++) s += x[n * Features + f] * w[f * Classes + k];
                if (s > bestScore) { bestScore = s; best = k; }
            }
            labels[n] = best;
        }
        using var outside = TensorScope.Suspend();
        return (Tensor.FromArray<float>(x, new Shape(Examples, Features)), labels);
    }
}

using System.Diagnostics;
using System.Globalization;
using Kfac.Cpu;
using Kfac.Distributed;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Tensors;
using Kfac.Training.Distributed;

namespace Kfac.Bench;

/// <summary>
/// Data-parallel step time of the deep autoencoder with SGD: run it alone (--distributed none, with --threads
/// N) or under mpirun (--distributed mpi, one process per rank). Reports the median step time, the median
/// time spent in collectives inside the step (the gradient buckets and the loss agreement; it includes
/// waiting for the slower rank), and, measured after the steps with the ranks lined up by a barrier, the
/// median time of the gradient all-reduce alone (pure communication of the 2.8 M floats).
/// <code>
/// dotnet Kfac.Bench.dll dp-step --batch 4000 --threads 2
/// mpirun -np 2 dotnet Kfac.Bench.dll dp-step --distributed mpi --batch 4000 --threads 1
/// </code>
/// </summary>
internal sealed class DataParallelBench : IBenchCommand
{
    public string Name => "dp-step";

    public string Description => "data-parallel autoencoder SGD step: --distributed none|mpi --batch N --steps N --warmup N --threads N (run under mpirun -np P for mpi)";

    public int Run(BenchArgs args)
    {
        string distributed = args.String("distributed", "none")!;
        int batch = args.Int("batch", 4000);
        int steps = args.Int("steps", 10);
        int warmup = args.Int("warmup", 2);
        int threads = args.Int("threads", 0);
        if (threads > 0) CpuParallel.MaxThreads = threads;
        using ICommunicator communicator = distributed switch
        {
            "none" => SingleProcessCommunicator.Instance,
            "mpi" => new MpiCommunicator(),
            _ => throw new ArgumentException($"--distributed must be none or mpi; got '{distributed}'"),
        };

        var model = DeepAutoencoder.Create(seed: 1);
        var rng = new Random(2);
        Tensor x;
        using (TensorScope.Suspend()) x = Tensor.Rand(new Shape(batch, 784), rng);
        using var optimizer = new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.01 });
        var step = new DataParallelStep(model, new SigmoidCrossEntropy(), optimizer, "sgd", communicator);

        var stepSeconds = new double[steps];
        var collectiveSeconds = new double[steps];
        for (int i = -warmup; i < steps; i++)
        {
            communicator.Barrier();
            long t0 = Stopwatch.GetTimestamp();
            using (TensorScope.Begin()) step.Step(x, x);
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (i < 0) continue;
            stepSeconds[i] = seconds;
            collectiveSeconds[i] = step.LastCommunicationSeconds;
        }

        // The gradient all-reduce alone, ranks lined up first: the transfer without load imbalance.
        var reduceSeconds = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            communicator.Barrier();
            step.Reducer.AllReduce(1);
            reduceSeconds[i] = step.Reducer.LastCommunicationSeconds;
        }
        // Every rank's medians, so rank 0 reports the slowest rank's.
        var mine = new[] { Median(stepSeconds), Median(collectiveSeconds), Median(reduceSeconds) };
        var all = communicator.AllGather<double>(mine);
        if (communicator.Rank == 0)
        {
            double stepMs = 0, collectiveMs = 0, reduceMs = 0;
            for (int r = 0; r < communicator.Size; r++)
            {
                stepMs = Math.Max(stepMs, all[3 * r] * 1e3);
                collectiveMs = Math.Max(collectiveMs, all[3 * r + 1] * 1e3);
                reduceMs = Math.Max(reduceMs, all[3 * r + 2] * 1e3);
            }
            long floats = model.Parameters().Sum(p => (long)p.Numel);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"bench\":\"dp-step\",\"model\":\"autoencoder\",\"optimizer\":\"sgd\",\"ranks\":{communicator.Size},\"threads_per_rank\":{CpuParallel.MaxThreads},\"batch\":{batch},\"steps\":{steps},\"ms_per_step\":{stepMs:F1},\"ms_collectives_in_step\":{collectiveMs:F2},\"ms_gradient_allreduce_alone\":{reduceMs:F2},\"gradient_floats\":{floats},\"buckets\":{step.Reducer.BucketCount},\"communicator\":\"{communicator.Description}\"}}"));
        }
        return 0;
    }

    private static double Median(double[] values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
    }
}

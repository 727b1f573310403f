using System.Diagnostics;
using System.Globalization;
using Kfac.Cpu;
using Kfac.Curvature;
using Kfac.Distributed;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;
using Kfac.Training.Distributed;

namespace Kfac.Bench;

/// <summary>
/// Distributed K-FAC step time on the deep autoencoder: alone (--distributed none, --threads N) or under mpirun
/// (--distributed mpi, one process per rank). K-FAC's default options except --inverse-interval (default 5, so the
/// measured steps include refreshes). Reports the mean step time over the measured steps (refresh steps included),
/// and the mean seconds per step spent in each kind of collective (they include waiting for the slower rank):
/// scalars (losses, quadratic-model terms), gradients, statistics, broadcasts (inverses or preconditioned gradients),
/// with the elements moved.
/// <code>
/// dotnet Kfac.Bench.dll dkfac-step --batch 4000 --threads 2
/// mpirun -np 2 dotnet Kfac.Bench.dll dkfac-step --distributed mpi --batch 4000 --threads 1 --statistics lazy --inverses directions
/// </code>
/// </summary>
internal sealed class DistributedKfacBench : IBenchCommand
{
    public string Name => "dkfac-step";

    public string Description => "distributed K-FAC autoencoder step: --distributed none|mpi --batch N --steps N --warmup N --threads N --statistics eager|lazy --inverses replicated|inverses|directions --inverse-interval N";

    public int Run(BenchArgs args)
    {
        string distributed = args.String("distributed", "none")!;
        int batch = args.Int("batch", 4000);
        int steps = args.Int("steps", 10);
        int warmup = args.Int("warmup", 1);
        int threads = args.Int("threads", 0);
        int inverseInterval = args.Int("inverse-interval", 5);
        string statistics = args.String("statistics", "eager")!;
        string inverses = args.String("inverses", "inverses")!;
        if (threads > 0) CpuParallel.MaxThreads = threads;
        var options = new DistributedKfacOptions
        {
            Statistics = statistics switch
            {
                "eager" => StatisticsReduction.Eager,
                "lazy" => StatisticsReduction.Lazy,
                _ => throw new ArgumentException($"--statistics must be eager or lazy; got '{statistics}'"),
            },
            Inverses = inverses switch
            {
                "replicated" => InversePlacement.Replicated,
                "inverses" => InversePlacement.BroadcastInverses,
                "directions" => InversePlacement.BroadcastDirections,
                _ => throw new ArgumentException($"--inverses must be replicated, inverses or directions; got '{inverses}'"),
            },
        };
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
        // The one factory: with a communicator, K-FAC's step is DistributedKfacStep.
        var step = (DistributedKfacStep)TrainingSteps.Create(model, new SigmoidCrossEntropy(),
            new OptimizerChoice { Name = OptimizerNames.Kfac, Kfac = new KfacOptions { InverseInterval = inverseInterval } }, communicator, options);
        var kfac = step.Optimizer;

        double total = 0;
        var c = kfac.Communication;
        for (int i = -warmup; i < steps; i++)
        {
            if (i == 0) c.Reset();
            communicator.Barrier();
            long t0 = Stopwatch.GetTimestamp();
            using (TensorScope.Begin()) step.Step(x, x);
            if (i >= 0) total += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        // The messages alone, ranks lined up by a barrier first (pure transfer, no load imbalance): the gradient
        // all-reduce, the statistics all-reduce, and broadcasts of the factors' volume (what broadcasting the inverses
        // moves per refresh: the inverses have the factors' shapes) and of the parameters' volume (what broadcasting
        // the preconditioned gradients moves per direction).
        var statisticsMessage = CurvatureBlock.StatisticsMessage(kfac.Blocks); // the factors' lower triangles
        var factorVolume = new PackedTensors(kfac.Blocks.SelectMany(b => b.StatisticsTensors())); // whole, as the inverses
        var parameterMessage = new PackedTensors(kfac.Parameters);
        var gradientReducer = new GradientAllReducer(communicator, kfac.Parameters);
        var alone = new double[4];
        const int repeats = 3;
        for (int i = 0; i < repeats; i++)
        {
            alone[0] += Timed(communicator, () => gradientReducer.AllReduce(1));
            alone[1] += Timed(communicator, () => statisticsMessage.AllReduceSum(communicator, 1));
            alone[2] += Timed(communicator, () => factorVolume.Broadcast(communicator, 0));
            alone[3] += Timed(communicator, () => parameterMessage.Broadcast(communicator, 0));
        }
        // Every rank's figures; rank 0 reports the slowest rank's step and each kind's largest.
        var mine = new[] { total / steps, c.Scalars / steps, c.Gradients / steps, c.Statistics / steps, c.Broadcasts / steps,
            alone[0] / repeats, alone[1] / repeats, alone[2] / repeats, alone[3] / repeats };
        var all = communicator.AllGather<double>(mine);
        if (communicator.Rank == 0)
        {
            var worst = new double[mine.Length];
            for (int r = 0; r < communicator.Size; r++)
                for (int k = 0; k < mine.Length; k++) worst[k] = Math.Max(worst[k], all[r * mine.Length + k] * 1e3);
            double communication = worst[1] + worst[2] + worst[3] + worst[4];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"bench\":\"dkfac-step\",\"model\":\"autoencoder\",\"ranks\":{communicator.Size},\"threads_per_rank\":{CpuParallel.MaxThreads},\"batch\":{batch},\"steps\":{steps},\"inverse_interval\":{inverseInterval},\"statistics\":\"{statistics}\",\"inverses\":\"{inverses}\",\"ms_per_step\":{worst[0]:F1},\"ms_scalars\":{worst[1]:F2},\"ms_gradients\":{worst[2]:F2},\"ms_statistics\":{worst[3]:F2},\"ms_broadcasts\":{worst[4]:F2},\"communication_share\":{communication / worst[0]:F3},\"statistics_elements_per_step\":{c.StatisticsElements / steps},\"broadcast_elements_per_step\":{c.BroadcastElements / steps},\"rejections\":{kfac.Rejections},\"ms_alone_gradient_allreduce\":{worst[5]:F2},\"ms_alone_statistics_allreduce\":{worst[6]:F2},\"ms_alone_factor_volume_broadcast\":{worst[7]:F2},\"ms_alone_parameter_volume_broadcast\":{worst[8]:F2},\"statistics_message_elements\":{statisticsMessage.Elements},\"factor_elements\":{factorVolume.Elements},\"parameter_elements\":{parameterMessage.Elements},\"communicator\":\"{communicator.Description}\"}}"));
        }
        return 0;
    }

    private static double Timed(ICommunicator communicator, Action action)
    {
        communicator.Barrier();
        long t0 = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }
}

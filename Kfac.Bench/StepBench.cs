using System.Diagnostics;
using Kfac.Cpu;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;

namespace Kfac.Bench;

/// <summary>
/// Time per optimisation step (forward + backward + update) of a model, with the GEMM-bound lower bound measured
/// in the same run: the step's dense-layer GEMMs (Y = X W^T, dX = dY W, dW = dY^T X per layer) timed alone; for
/// models with convolutions, the GEMMs of the im2col lowering as well (Y = W cols, dW = dY cols^T, dcols = W^T dY).
/// K-FAC steps are timed over at least one full inverse period (T3) so ms_per_step_amortised includes the
/// refreshes; its per-phase breakdown says where the time over SGD goes. With --baseline, a second copy of the
/// model trained by the baseline optimizer is timed in rounds alternating with the main one (each round a full
/// K-FAC period), and the ratio is reported per round and overall: the same load falls on both sides. With
/// --baseline-process the baseline copy runs in a child process instead (see <see cref="BaselineProcess"/>).
/// </summary>
internal sealed class StepBench : IBenchCommand
{
    public string Name => "step";

    public string Description => "ms per training step: --model autoencoder|mlp|convnet|convnet-features [--batchnorm] --optimizer sgd|momentum|adam|kfac --batch N --steps N [--threads N] [--baseline sgd --rounds R: interleaved rounds, ratio per round; --baseline-batch N: the baseline at its own batch (ratio per step and per example); --baseline-process: the baseline in a child process; --baseline-command \"PROGRAM ARGS\": another program as the baseline, e.g. \"python3 bench/pytorch_autoencoder_step.py --serve\" (PyTorch's served step slows after idle gaps: BENCHMARKS stop 47)]; --phases: a first-order step's phases (zero grad, forward with dense layers and other modules apart, loss, backward, finite check, update) in ms per step; K-FAC: --stats-fraction --quad-fraction --rho-fraction --inverse-interval --inverse-staleness --stats-interval --tridiagonal --lambda --min-lambda --gamma-rule tied|search|fixed --implausible-step reject|shrink; --no-operand-cache: pack held weights and inverses in every product (measures the cache); --fuse-b 0|1: B micro-panels packed inside the tasks when there is one row block (default 1); --conv-piece-bytes N, --baseline-conv-piece-bytes N: the piece size of the CPU convolution's input gradient (W^T dY) on each side (default 4 MiB; a large value builds it whole)";

    public int Run(BenchArgs args)
    {
        string modelName = args.String("model", "autoencoder")!;
        string optimizer = args.String("optimizer", "sgd")!;
        int batch = args.Int("batch", 1000);
        int steps = args.Int("steps", 20);
        int warmup = args.Int("warmup", 3);
        int threads = args.Int("threads", 0);
        bool json = args.Flag("json");
        if (threads > 0) CpuParallel.MaxThreads = threads;
        Kfac.Cpu.Blas.PackedOperandCache.Disabled = args.Flag("no-operand-cache");
        Kfac.Cpu.Blas.GemmBlocking.FuseBPacking = args.Int("fuse-b", Kfac.Cpu.Blas.GemmBlocking.FuseBPacking ? 1 : 0) != 0;

        var (model, loss, x, t) = Build(modelName, batch, args.Flag("batchnorm"));
        var step = CreateStep(optimizer, model, loss, args);
        if (args.Flag("phases"))
        {
            if (step is not FirstOrderStep first)
                throw new ArgumentException($"--phases times first-order steps (sgd, momentum, adam, ...); '{optimizer}' reports its phases without it");
            var phases = FirstOrderPhases.Measure(first, loss, x, t, warmup, steps);
            var head = new Dictionary<string, object>
            {
                ["op"] = "step_phases", ["model"] = modelName, ["optimizer"] = optimizer, ["batch"] = batch,
                ["threads"] = CpuParallel.MaxThreads, ["steps"] = steps,
            };
            foreach (var (key, value) in phases) head[key] = value;
            JsonLine.Print(json, head);
            return 0;
        }
        if (args.Flag("serve-baseline"))
        {
            // The child of --baseline-process: warm up, then time rounds on request.
            for (int i = 0; i < warmup; i++)
                using (TensorScope.Begin()) step.Step(x, t);
            BaselineProcess.Serve(k =>
            {
                var round = new double[k];
                TimeSteps(step, x, t, round);
                return round;
            });
            return 0;
        }
        if (step is KfacStep k)
        {
            // Warm up through one full inverse/gamma period so one-time pool growth (the first lambda and gamma
            // trials hold extra temporaries) is not timed; then time whole periods.
            warmup = Math.Max(warmup, Math.Max(k.Optimizer.Options.InverseInterval, k.Optimizer.Options.GammaInterval) + 2);
            steps = Math.Max(steps, k.Optimizer.Options.InverseInterval * 2);
        }

        for (int i = 0; i < warmup; i++)
            using (TensorScope.Begin()) step.Step(x, t);
        if (step is KfacStep kw) kw.Optimizer.Timings.Reset();

        // --baseline X: a second copy of the model trained by X, timed in rounds interleaved with the main
        // optimizer's (each round one full period of the main one), so load on this shared machine hits both alike.
        string? baselineCommand = args.String("baseline-command", null);
        string? baselineName = args.String("baseline", null) ?? (baselineCommand is null ? null : "external");
        int rounds = args.Int("rounds", 5);
        int baselineBatch = args.Int("baseline-batch", batch);
        if (baselineBatch < 1) throw new ArgumentException($"--baseline-batch must be at least 1, got {baselineBatch}");
        bool separateProcess = args.Flag("baseline-process") || baselineCommand is not null;
        ITrainingStep? baseline = null;
        Tensor? baseX = null, baseT = null;
        using var baselineProcess = baselineCommand is not null ? BaselineProcess.External(baselineCommand)
            : baselineName is not null && separateProcess
            ? new BaselineProcess(BaselineArguments(modelName, baselineName, baselineBatch, warmup, threads, args.Flag("batchnorm")))
            : null;
        if (baselineName is not null)
        {
            if (!separateProcess)
            {
                (var baseModel, var baseLoss, baseX, baseT) = Build(modelName, baselineBatch, args.Flag("batchnorm"));
                baseline = CreateStep(baselineName, baseModel, baseLoss, args);
                for (int i = 0; i < warmup; i++)
                    using (TensorScope.Begin()) baseline.Step(baseX, baseT);
            }
            rounds = Math.Max(1, rounds);
            // A round is one full K-FAC period (T3 and T2 steps: one refresh, one gamma adaptation, T3 / T1 lambda
            // adaptations), so every round carries its share of the amortised work.
            int round = step is KfacStep kr ? Math.Max(kr.Optimizer.Options.InverseInterval, kr.Optimizer.Options.GammaInterval) : Math.Max(1, steps / rounds);
            steps = round * rounds;
        }
        else rounds = 1;
        int perRound = steps / rounds;

        bool hasBaseline = baselineName is not null;
        var times = new double[steps];
        var baselineTimes = new double[hasBaseline ? steps : 0];
        var roundRatios = new double[hasBaseline ? rounds : 0];
        long allocated = 0;
        // The CPU backend's convolution piece size per side (issue 18, stop 48: W^T dY in pieces against the whole batch in one process).
        int defaultPieces = Kfac.Cpu.CpuBackend.ConvolutionPieceBytes;
        int oursPieces = args.Int("conv-piece-bytes", defaultPieces), baselinePieces = args.Int("baseline-conv-piece-bytes", defaultPieces);
        for (int r = 0; r < rounds; r++)
        {
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            Kfac.Cpu.CpuBackend.ConvolutionPieceBytes = oursPieces;
            TimeSteps(step, x, t, times.AsSpan(r * perRound, perRound));
            Kfac.Cpu.CpuBackend.ConvolutionPieceBytes = baselinePieces;
            allocated += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            if (!hasBaseline) continue;
            if (baselineProcess is not null) baselineProcess.RunRound(perRound).CopyTo(baselineTimes.AsSpan(r * perRound, perRound));
            else TimeSteps(baseline!, baseX!, baseT!, baselineTimes.AsSpan(r * perRound, perRound));
            roundRatios[r] = times.Skip(r * perRound).Take(perRound).Average() / baselineTimes.Skip(r * perRound).Take(perRound).Average();
        }
        Kfac.Cpu.CpuBackend.ConvolutionPieceBytes = defaultPieces;
        double mean = times.Average();
        var sorted = (double[])times.Clone();
        Array.Sort(sorted);
        bool convolutional = model.Modules().OfType<Conv2d>().Any();
        var problems = convolutional ? LoweredGemms(model, x) : null;
        double gemmMs = problems is null ? GemmLowerBoundMs(model, batch) : GemmLowerBoundMs(problems);
        double flops = problems?.Sum(p => 2.0 * p.M * p.N * p.K) ?? 6.0 * model.ParameterCount() * batch;
        var fields = new Dictionary<string, object>
        {
            ["op"] = "step",
            ["model"] = modelName,
            ["optimizer"] = optimizer,
            ["batch"] = batch,
            ["threads"] = CpuParallel.MaxThreads,
            ["operand_cache"] = !Kfac.Cpu.Blas.PackedOperandCache.Disabled,
            ["steps"] = steps,
            ["ms_per_step"] = Math.Round(Timing.Median(sorted), 2),
            ["ms_per_step_amortised"] = Math.Round(mean, 2),
            ["step_gflop"] = Math.Round(flops / 1e9, 2),
            ["gemm_lower_bound_ms"] = Math.Round(gemmMs, 2),
            ["ratio_to_gemm_bound"] = Math.Round(Timing.Median(sorted) / gemmMs, 3),
            ["managed_bytes_per_step"] = allocated / steps,
        };
        if (hasBaseline)
        {
            var sortedBaseline = (double[])baselineTimes.Clone();
            Array.Sort(sortedBaseline);
            var sortedRatios = (double[])roundRatios.Clone();
            Array.Sort(sortedRatios);
            fields["baseline"] = baselineName!;
            fields["baseline_in"] = baselineCommand is not null ? baselineCommand : separateProcess ? "separate process" : "same process";
            fields["rounds"] = rounds;
            fields["baseline_batch"] = baselineBatch;
            fields["baseline_ms_per_step"] = Math.Round(Timing.Median(sortedBaseline), 2);
            fields["baseline_ms_per_step_amortised"] = Math.Round(baselineTimes.Average(), 2);
            fields["ratio_amortised"] = Math.Round(mean / baselineTimes.Average(), 3);
            // Per example: a step of batch B against a baseline step of batch B' (the ConvNet trains KFC at 256, Adam at 128).
            fields["ratio_amortised_per_example"] = Math.Round(mean / batch / (baselineTimes.Average() / baselineBatch), 3);
            fields["ratio_per_round"] = string.Join(" ", roundRatios.Select(v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
            fields["ratio_median_round"] = Math.Round(Timing.Median(sortedRatios), 3);
            if (perRound > 1)
            {
                // Apart: each round's first step (it alone starts with the other side's data in the caches) and the rest.
                double MedianOf(double[] all, bool first)
                {
                    var picked = all.Where((_, i) => (i % perRound == 0) == first).ToArray();
                    Array.Sort(picked);
                    return Math.Round(Timing.Median(picked), 2);
                }
                double oursWarm = MedianOf(times, first: false), baselineWarm = MedianOf(baselineTimes, first: false);
                fields["ms_per_step_warm"] = oursWarm;
                fields["baseline_ms_per_step_warm"] = baselineWarm;
                fields["ratio_warm"] = Math.Round(oursWarm / baselineWarm, 3);
                fields["ms_first_step_of_round"] = MedianOf(times, first: true);
                fields["baseline_ms_first_step_of_round"] = MedianOf(baselineTimes, first: true);
            }
        }
        if (step is KfacStep ks)
            foreach (var (phase, seconds) in ks.Optimizer.Timings.All())
                fields["ms_" + phase.ToString().ToLowerInvariant()] = Math.Round(1000 * seconds / steps, 2);
        JsonLine.Print(json, fields);
        return 0;
    }

    /// <summary>The child's command line for --baseline-process: the same model and batch, the baseline optimizer,
    /// and the main run's warm-up.</summary>
    private static List<string> BaselineArguments(string model, string optimizer, int batch, int warmup, int threads, bool batchNorm)
    {
        var a = new List<string> { "--model", model, "--optimizer", optimizer, "--batch", $"{batch}", "--warmup", $"{warmup}" };
        if (threads > 0) a.AddRange(["--threads", $"{threads}"]);
        if (batchNorm) a.Add("--batchnorm");
        return a;
    }

    private static void TimeSteps(ITrainingStep step, Tensor x, Tensor t, Span<double> times)
    {
        for (int i = 0; i < times.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (TensorScope.Begin()) step.Step(x, t);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
    }

    private static (Module Model, ILoss Loss, Tensor X, Tensor T) Build(string name, int batch, bool batchNorm)
    {
        var rng = new System.Random(1);
        switch (name)
        {
            case "autoencoder":
                {
                    var x = Tensor.Rand(new Shape(batch, 784), rng);
                    return (DeepAutoencoder.Create(), new SigmoidCrossEntropy(), x, x);
                }
            case "mlp":
                {
                    var x = Tensor.Rand(new Shape(batch, 784), rng);
                    var labels = Enumerable.Range(0, batch).Select(i => rng.Next(10)).ToArray();
                    return (Mlp.Create([784, 1000, 500, 10]), new SoftmaxCrossEntropy(), x, SoftmaxOps.OneHot(labels, 10));
                }
            case "convnet":
                {
                    var x = Tensor.Rand(new Shape(batch, 784), rng);
                    var labels = Enumerable.Range(0, batch).Select(i => rng.Next(10)).ToArray();
                    return (ConvNet.Create(batchNorm), new SoftmaxCrossEntropy(), x, SoftmaxOps.OneHot(labels, 10));
                }
            case "convnet-features":
                {
                    // The two conv blocks alone (conv - relu - pool, twice, flattened to [N, 3136]), trained on squared
                    // error against zeros: the "conv part" that bench/pytorch_convnet_step.py times in PyTorch.
                    var full = ConvNet.Create(batchNorm);
                    var features = new Sequential();
                    foreach (var m in full.Layers.TakeWhile(m => m is not Dense)) features.Add(m);
                    var x = Tensor.Rand(new Shape(batch, 784), rng);
                    return (features, new SquaredError(), x, Tensor.Zeros(new Shape(batch, 64 * 7 * 7)));
                }
            default:
                throw new ArgumentException($"--model must be autoencoder, mlp, convnet or convnet-features, got '{name}'");
        }
    }

    /// <summary>The step of <paramref name="optimizer"/> (any of <see cref="OptimizerNames.Known"/>) from the one factory; the
    /// step time does not depend on the rates, which are small so that the timed steps stay finite.</summary>
    private static ITrainingStep CreateStep(string optimizer, Module model, ILoss loss, BenchArgs args)
    {
        var defaults = new KfacOptions();
        var choice = new OptimizerChoice
        {
            Name = optimizer,
            Sgd = new SgdOptions { LearningRate = 1e-3, Momentum = 0.9 },
            Adam = new AdamOptions { LearningRate = 1e-4 },
            Kfac = defaults with
            {
                StatisticsFraction = args.Double("stats-fraction", defaults.StatisticsFraction),
                QuadraticModelFraction = args.Double("quad-fraction", defaults.QuadraticModelFraction),
                RhoFraction = args.Double("rho-fraction", defaults.RhoFraction),
                InverseInterval = args.Int("inverse-interval", defaults.InverseInterval),
                InverseStaleness = args.Int("inverse-staleness", defaults.InverseStaleness),
                StatisticsInterval = args.Int("stats-interval", defaults.StatisticsInterval),
                Structure = args.Flag("tridiagonal") ? CurvatureStructure.BlockTridiagonal : CurvatureStructure.BlockDiagonal,
                InitialLambda = args.Double("lambda", defaults.InitialLambda),
                MinLambda = args.Double("min-lambda", defaults.MinLambda),
                GammaRule = args.String("gamma-rule", null) switch
                {
                    null => defaults.GammaRule,
                    "tied" => GammaRule.TiedToLambda,
                    "search" => GammaRule.Search,
                    "fixed" => GammaRule.Fixed,
                    var g => throw new ArgumentException($"--gamma-rule must be tied, search or fixed, got '{g}'"),
                },
                ImplausibleStep = args.String("implausible-step", null) switch
                {
                    null => defaults.ImplausibleStep,
                    "reject" => ImplausibleStepRule.Reject,
                    "shrink" => ImplausibleStepRule.Shrink,
                    var r => throw new ArgumentException($"--implausible-step must be reject or shrink, got '{r}'"),
                },
            },
        };
        return TrainingSteps.Create(model, loss, choice);
    }

    /// <summary>Median time of the step's GEMMs alone: for each dense layer (in -> out) at this batch,
    /// Y = X W^T, dX = dY W (except the first layer) and dW = dY^T X.</summary>
    private static double GemmLowerBoundMs(Module model, int batch)
    {
        var layers = model.Modules().OfType<Dense>().ToList();
        int maxWidth = layers.Max(l => Math.Max(l.InFeatures, l.OutFeatures));
        var a = new float[batch * maxWidth];
        var b = new float[batch * maxWidth];
        var w = new float[maxWidth * maxWidth];
        Array.Fill(a, 0.5f);
        Array.Fill(w, 0.25f);
        void AllGemms()
        {
            for (int i = 0; i < layers.Count; i++)
            {
                int n = layers[i].InFeatures, o = layers[i].OutFeatures;
                Gemm.Sgemm(false, true, batch, o, n, 1, a, n, w, n, 0, b, o);
                if (i > 0) Gemm.Sgemm(false, false, batch, n, o, 1, b, o, w, n, 0, a, n);
                Gemm.Sgemm(true, false, o, n, batch, 1, b, o, a, n, 0, w, n);
            }
        }
        var seconds = Timing.Measure(AllGemms, warmup: 2, runs: 7);
        return 1000 * Timing.Median(seconds);
    }

    private readonly record struct GemmProblem(bool TransA, bool TransB, int M, int N, int K);

    /// <summary>The GEMMs of one forward + backward pass, from the layers a recorded forward pass meets: dense layers
    /// as above, convolutions lowered to im2col (Y = W cols: Cout x N T x C kh kw; dW = dY cols^T; dcols = W^T dY);
    /// no input gradient for the first layer.</summary>
    private static List<GemmProblem> LoweredGemms(Module model, Tensor x)
    {
        var recorder = new Curvature.CurvatureRecorder();
        using (TensorScope.Begin())
        using (Autodiff.GradMode.Disable())
        using (recorder.Activate())
            model.Forward(x);
        var problems = new List<GemmProblem>();
        bool first = true;
        foreach (var c in recorder.Captures)
        {
            switch (c.Tag)
            {
                case Curvature.DenseTag d:
                    {
                        int b = c.Input.Shape[0], n = d.InFeatures, o = d.OutFeatures;
                        problems.Add(new(false, true, b, o, n));
                        if (!first) problems.Add(new(false, false, b, n, o));
                        problems.Add(new(true, false, o, n, b));
                        break;
                    }
                case Curvature.ConvTag conv:
                    {
                        var g = conv.Geometry(c.Input);
                        int rows = g.PatchCount, k = g.PatchSize, o = conv.OutChannels;
                        problems.Add(new(false, false, o, rows, k));
                        problems.Add(new(false, true, o, k, rows));
                        if (!first) problems.Add(new(true, false, k, rows, o));
                        break;
                    }
            }
            first = false;
        }
        return problems;
    }

    /// <summary>Median time of the given GEMMs alone (float32, one buffer set sized for the largest).</summary>
    private static double GemmLowerBoundMs(List<GemmProblem> problems)
    {
        long size = problems.Max(p => Math.Max((long)p.M * p.K, Math.Max((long)p.K * p.N, (long)p.M * p.N)));
        var a = new float[size];
        var b = new float[size];
        var c = new float[size];
        Array.Fill(a, 0.5f);
        Array.Fill(b, 0.25f);
        void AllGemms()
        {
            foreach (var p in problems)
                Gemm.Sgemm(p.TransA, p.TransB, p.M, p.N, p.K, 1, a, p.TransA ? p.M : p.K, b, p.TransB ? p.K : p.N, 0, c, p.N);
        }
        var seconds = Timing.Measure(AllGemms, warmup: 2, runs: 7);
        return 1000 * Timing.Median(seconds);
    }
}

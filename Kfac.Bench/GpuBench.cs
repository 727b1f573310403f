using System.Diagnostics;
using Kfac.Gpu;
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
/// `gpu`: the ILGPU backend on a device: SGEMM GFLOP/s (and its fraction of the fp32 peak), the covariance update
/// (SYRK, m*n*(n+1) flops), Cholesky and the guarded SPD inverse (n^3/3 and n^3 flops, LAPACK's potrf/potri
/// counts), and ms per training step of the deep autoencoder (784-1000-500-250-30-250-500-1000-784, sigmoid,
/// sigmoid cross-entropy) and of the KFC-paper-style ConvNet (conv 5x5 32 - pool - conv 5x5 64 - pool - 1024 - 10,
/// softmax cross-entropy, 28 x 28 images) with SGD and K-FAC. Every timed call ends with a device synchronisation. One JSON object
/// per line with --json. `--device ilgpu-cpu` runs the same code on ILGPU's CPU accelerator with tiny sizes (a smoke
/// test of the command, not a measurement).
/// </summary>
internal sealed class GpuBench : IBenchCommand
{
    /// <summary>NVIDIA H200 (SXM) fp32 peak without tensor cores: 132 SMs x 128 FMA/clk x 2 x 1.98 GHz ~ 67 TFLOP/s.</summary>
    private const double H200PeakGflops = 67_000;

    private sealed record Sizes(int[] Gemm, int[] Factors, int SyrkRows, int[] Batches, int[] ConvBatches, int[] Encoder, int Steps, int InverseInterval, int LambdaInterval, int GammaInterval);

    private static readonly Sizes Full = new([1024, 2048, 4096, 8192], [1000, 2000, 3000, 4000], 8000, [1000, 8000], [128], DeepAutoencoder.PaperEncoder, 20, 20, 5, 20);

    /// <summary>ILGPU's CPU accelerator: a smoke test. The ConvNet (28 x 28 images, a 3136-1024 dense layer) is too
    /// large for it, so its steps run only when --conv-batches is given.</summary>
    private static readonly Sizes Tiny = new([64, 96], [40, 70], 64, [8], [], [24, 12, 6], 3, 2, 2, 2);

    public string Name => "gpu";

    public string Description =>
        "ILGPU backend: SGEMM, SYRK, Cholesky/SpdInverse, autoencoder SGD/K-FAC steps: --device cuda[:N]|ilgpu-cpu " +
        "[--sizes tiny|n,...] [--factor-sizes n,...] [--syrk-rows m] [--batches b,...] [--conv-batches b,...] [--optimizers sgd,kfac] [--only gemm,syrk,spd,step,conv] [--runs N] [--peak-gflops G] [--json]";

    public int Run(BenchArgs args)
    {
        bool json = args.Flag("json");
        string deviceName = args.String("device", "cuda")!;
        GpuDevices.Register();
        var sw = Stopwatch.StartNew();
        Device device;
        try
        {
            device = Device.Parse(deviceName);
        }
        catch (DeviceUnavailableException e)
        {
            Console.Error.WriteLine($"gpu bench: {e.Message}");
            return 3;
        }
        if (device.Backend is not IlgpuBackend backend)
            throw new ArgumentException($"--device must be an ILGPU device (cuda, cuda:N, ilgpu-cpu), got '{deviceName}'");
        double startup = sw.Elapsed.TotalSeconds;

        var sizes = ParseSizes(args, backend.AcceleratorType == ILGPU.Runtime.AcceleratorType.CPU);
        int runs = args.Int("runs", 5);
        double peak = args.Double("peak-gflops", H200PeakGflops);
        var only = (args.String("only") ?? "gemm,syrk,spd,step,conv").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var common = new Dictionary<string, object>
        {
            ["bench"] = "gpu", ["device"] = device.ToString(), ["accelerator"] = backend.AcceleratorName,
        };
        Print(json, common, new() { ["op"] = "startup", ["seconds"] = Math.Round(startup, 3), ["group_size"] = backend.Policy.GroupSize, ["gemm_tile"] = backend.Policy.Tile });

        var optimizers = (args.String("optimizers") ?? "sgd,kfac").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (optimizers.FirstOrDefault(o => o is not ("sgd" or "kfac")) is { } unknown)
            throw new ArgumentException($"--optimizers takes sgd and/or kfac, got '{unknown}'");
        if (only.Contains("gemm"))
            foreach (int n in sizes.Gemm) Gemm(json, common, backend, device, n, runs, peak);
        if (only.Contains("syrk"))
            foreach (int n in sizes.Factors) Syrk(json, common, backend, device, sizes.SyrkRows, n, runs, peak);
        if (only.Contains("spd"))
            foreach (int n in sizes.Factors) Spd(json, common, backend, device, n, Math.Max(1, runs / 2));
        if (only.Contains("step"))
            foreach (int batch in sizes.Batches)
                foreach (string optimizer in optimizers)
                    AutoencoderStep(json, common, backend, device, sizes, batch, optimizer);
        if (only.Contains("conv"))
            foreach (int batch in sizes.ConvBatches)
                foreach (string optimizer in optimizers)
                    ConvNetStep(json, common, backend, device, sizes, batch, optimizer);
        return 0;
    }

    private static Sizes ParseSizes(BenchArgs args, bool cpuAccelerator)
    {
        string? s = args.String("sizes");
        var preset = s == "tiny" || (s is null && cpuAccelerator) ? Tiny : Full;
        var gemm = s is null or "tiny" ? preset.Gemm : args.IntList("sizes", preset.Gemm);
        return preset with
        {
            Gemm = gemm,
            Factors = args.IntList("factor-sizes", s is null or "tiny" ? preset.Factors : gemm),
            SyrkRows = args.Int("syrk-rows", preset.SyrkRows),
            Batches = args.IntList("batches", preset.Batches),
            ConvBatches = args.IntList("conv-batches", preset.ConvBatches),
            Steps = args.Int("steps", preset.Steps),
        };
    }

    private static void Print(bool json, Dictionary<string, object> common, Dictionary<string, object> fields)
    {
        var line = new Dictionary<string, object>(common);
        foreach (var (k, v) in fields) line[k] = v;
        JsonLine.Print(json, line);
    }

    /// <summary>Times <paramref name="body"/> (followed by a device synchronisation) after one warm-up; sorted seconds.</summary>
    private static double[] Time(IlgpuBackend backend, Action body, int runs) =>
        Timing.Measure(() => { body(); backend.Synchronize(); }, warmup: 1, runs: runs);

    private static Tensor Uniform(Device device, int rows, int cols, ulong seed)
    {
        var t = Tensor.Empty(new Shape(rows, cols), DType.Float32, device);
        device.Backend.FillUniform(t, seed, 0);
        return t;
    }

    private static void Gemm(bool json, Dictionary<string, object> common, IlgpuBackend backend, Device device, int n, int runs, double peak)
    {
        using var a = Uniform(device, n, n, 1);
        using var b = Uniform(device, n, n, 2);
        using var c = Tensor.Empty(new Shape(n, n), DType.Float32, device);
        var seconds = Time(backend, () => backend.Gemm(false, false, n, n, n, 1, a, b, 0, c), runs);
        double flops = 2.0 * n * n * n, median = Timing.Median(seconds);
        Print(json, common, new()
        {
            ["op"] = "sgemm", ["n"] = n, ["seconds"] = median, ["gflops"] = Math.Round(flops / median / 1e9, 1),
            ["best_gflops"] = Math.Round(flops / seconds[0] / 1e9, 1), ["peak_gflops"] = peak,
            ["fraction_of_peak"] = Math.Round(flops / median / 1e9 / peak, 3),
        });
    }

    private static void Syrk(bool json, Dictionary<string, object> common, IlgpuBackend backend, Device device, int rows, int n, int runs, double peak)
    {
        using var x = Uniform(device, rows, n, 3);
        using var c = Tensor.Zeros(new Shape(n, n), DType.Float32, device);
        // K-FAC's EMA update: C = 0.95 C + 0.05/m X^T X
        var seconds = Time(backend, () => backend.Syrk(x, rows, n, 0.05 / rows, 0.95, c), runs);
        double flops = (double)rows * n * (n + 1), median = Timing.Median(seconds);
        Print(json, common, new()
        {
            ["op"] = "syrk", ["m"] = rows, ["n"] = n, ["seconds"] = median, ["gflops"] = Math.Round(flops / median / 1e9, 1),
            ["fraction_of_peak"] = Math.Round(flops / median / 1e9 / peak, 3),
        });
    }

    private static void Spd(bool json, Dictionary<string, object> common, IlgpuBackend backend, Device device, int n, int runs)
    {
        // A = X^T X / n + I: SPD with eigenvalues in about [1, 5].
        using var x = Uniform(device, n, n, 4);
        using var a = Tensor.Zeros(new Shape(n, n), DType.Float32, device);
        backend.Syrk(x, n, n, 1.0 / n, 0, a);
        backend.AddToDiagonal(a, n, 1);
        using var result = Tensor.Empty(new Shape(n, n), DType.Float32, device);
        double n3 = (double)n * n * n;
        var chol = Time(backend, () => backend.Cholesky(a, n, 0, result), runs);
        var inv = Time(backend, () => backend.SpdInverse(a, n, 1e-3, result), runs);
        double cholMedian = Timing.Median(chol), invMedian = Timing.Median(inv);
        Print(json, common, new()
        {
            ["op"] = "cholesky", ["n"] = n, ["seconds"] = cholMedian, ["gflops"] = Math.Round(n3 / 3 / cholMedian / 1e9, 1),
        });
        Print(json, common, new()
        {
            ["op"] = "spd_inverse", ["n"] = n, ["seconds"] = invMedian, ["gflops"] = Math.Round(n3 / invMedian / 1e9, 1),
        });
    }

    private static void AutoencoderStep(bool json, Dictionary<string, object> common, IlgpuBackend backend, Device device, Sizes sizes, int batch, string optimizer)
    {
        var model = DeepAutoencoder.Create(sizes.Encoder, seed: 0, DType.Float32, device);
        using var x = Uniform(device, batch, sizes.Encoder[0], 5);
        Step(json, common, backend, sizes, optimizer, model, new SigmoidCrossEntropy(), x, x, new()
        {
            ["model"] = "autoencoder", ["layers"] = string.Join('-', sizes.Encoder.Concat(sizes.Encoder.Reverse().Skip(1))), ["batch"] = batch,
            ["step_gflop"] = Math.Round(6.0 * model.ParameterCount() * batch / 1e9, 2),
        });
    }

    /// <summary>Multiply-adds per image of the ConvNet's forward pass: each layer's weights times the output
    /// locations they are applied at (28 x 28 and 14 x 14 for the two 'same' convolutions, 1 for the dense layers).</summary>
    private const double ConvNetForwardMacsPerImage =
        32.0 * 1 * 25 * 28 * 28 + 64.0 * 32 * 25 * 14 * 14 + 64.0 * 7 * 7 * 1024 + 1024.0 * ConvNet.Classes;

    private static void ConvNetStep(bool json, Dictionary<string, object> common, IlgpuBackend backend, Device device, Sizes sizes, int batch, string optimizer)
    {
        var model = ConvNet.Create(seed: 0, dtype: DType.Float32, device: device);
        using var x = Uniform(device, batch, ConvNet.Height * ConvNet.Width, 6);
        var rng = new Random(7);
        using var targets = SoftmaxOps.OneHot(Enumerable.Range(0, batch).Select(_ => rng.Next(ConvNet.Classes)).ToArray(), ConvNet.Classes, DType.Float32, device);
        Step(json, common, backend, sizes, optimizer, model, new SoftmaxCrossEntropy(), x, targets, new()
        {
            ["model"] = "convnet", ["layers"] = "conv5x5x32-pool-conv5x5x64-pool-1024-10", ["batch"] = batch,
            // 2 flops per multiply-add forward, 4 backward (weight and input gradients), as 6 x parameters x batch for dense layers
            ["step_gflop"] = Math.Round(6.0 * ConvNetForwardMacsPerImage * batch / 1e9, 2),
        });
    }

    private static void Step(bool json, Dictionary<string, object> common, IlgpuBackend backend, Sizes sizes, string optimizer,
        Module model, ILoss loss, Tensor x, Tensor targets, Dictionary<string, object> fields)
    {
        var step = TrainingSteps.Create(model, loss, new OptimizerChoice
        {
            Name = optimizer,
            Sgd = new SgdOptions { LearningRate = 1e-3 },
            Kfac = new KfacOptions { InverseInterval = sizes.InverseInterval, LambdaInterval = sizes.LambdaInterval, GammaInterval = sizes.GammaInterval },
        });
        // K-FAC is timed over a whole inverse period, so the amortised time includes one refresh; the warm-up runs
        // every periodic phase once (inverse, lambda and gamma adaptation), so the pool has seen every buffer size.
        bool kfac = optimizer == "kfac";
        int steps = kfac ? Math.Max(sizes.Steps, sizes.InverseInterval) : sizes.Steps;
        int warmup = kfac ? Math.Max(Math.Max(sizes.InverseInterval, sizes.LambdaInterval), sizes.GammaInterval) + 1 : 3;
        for (int i = 0; i < warmup; i++)
            using (TensorScope.Begin()) step.Step(x, targets);
        backend.Synchronize();
        long allocationsBefore = backend.Pool.DeviceAllocations;
        var ms = new double[steps];
        double lastLoss = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (TensorScope.Begin()) lastLoss = step.Step(x, targets);
            backend.Synchronize();
            ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        var sorted = (double[])ms.Clone();
        Array.Sort(sorted);
        var line = new Dictionary<string, object> { ["op"] = "step" };
        foreach (var (k, v) in fields) line[k] = v;
        line["optimizer"] = optimizer;
        line["steps"] = steps;
        line["ms_per_step"] = Math.Round(Timing.Median(sorted), 2);
        line["ms_per_step_amortised"] = Math.Round(ms.Average(), 2);
        line["device_allocations_while_timed"] = backend.Pool.DeviceAllocations - allocationsBefore;
        line["last_loss"] = Math.Round(lastLoss, 4);
        Print(json, common, line);
        foreach (var p in model.Parameters()) p.Dispose();
    }
}

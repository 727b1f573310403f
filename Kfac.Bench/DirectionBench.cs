using System.Diagnostics;
using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Bench;

/// <summary>
/// `kfac-direction`: K-FAC's preconditioning products per layer of the autoencoder, as the optimizer runs them
/// (<see cref="WeightBiasMatrix.MultiplyKronecker"/> with the inverses held packed, as between two refreshes): ms and
/// GFLOP/s per layer (2 (d_out^2 d + d_out d^2) flops, d = d_in + 1), next to a square product of the same flop count.
/// </summary>
internal sealed class DirectionBench : IBenchCommand
{
    public string Name => "kfac-direction";

    public string Description => "K-FAC's direction products per autoencoder layer with held inverses: --threads N --runs R --json";

    public int Run(BenchArgs args)
    {
        var o = GemmBenchOptions.Parse(args);
        int runs = args.Int("runs", 30);
        int[] sizes = [784, 1000, 500, 250, 30, 250, 500, 1000, 784];
        var rng = new Random(3);
        Tensor Random(params int[] shape)
        {
            var n = shape.Aggregate(1, (a, b) => a * b);
            return Tensor.FromArray<float>(Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray(), new Shape(shape));
        }
        double totalMs = 0, totalFlops = 0;
        var previous = Kfac.Cpu.CpuParallel.MaxThreads;
        Kfac.Cpu.CpuParallel.MaxThreads = o.Threads;
        try
        {
            for (int l = 0; l + 1 < sizes.Length; l++)
            {
                int dIn = sizes[l], dOut = sizes[l + 1], d = dIn + 1;
                Tensor left = Random(dOut, dOut), right = Random(d, d);
                Tensor[] vector = [Random(dOut, dIn), Random(dOut)], result = [Tensor.Zeros(new Shape(dOut, dIn)), Tensor.Zeros(new Shape(dOut))];
                using var hold = left.Backend.HoldConstant([left, right]);
                var times = new double[runs];
                for (int r = -3; r < runs; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    using (TensorScope.Begin()) WeightBiasMatrix.MultiplyKronecker(left, right, vector, result, dOut, dIn, -1);
                    if (r >= 0) times[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                Array.Sort(times);
                double ms = times[runs / 2], flops = 2.0 * ((double)dOut * dOut * d + (double)dOut * d * d);
                totalMs += ms;
                totalFlops += flops;
                JsonLine.Print(o.Json, new Dictionary<string, object>
                {
                    ["op"] = "kfac_direction", ["layer"] = $"{dIn}-{dOut}", ["threads"] = o.Threads, ["isa"] = o.IsaName,
                    ["ms"] = Math.Round(ms, 3), ["gflops"] = Math.Round(flops / ms / 1e6, 1),
                });
            }
        }
        finally
        {
            Kfac.Cpu.CpuParallel.MaxThreads = previous;
        }
        JsonLine.Print(o.Json, new Dictionary<string, object>
        {
            ["op"] = "kfac_direction", ["layer"] = "total", ["threads"] = o.Threads, ["isa"] = o.IsaName,
            ["ms"] = Math.Round(totalMs, 3), ["gflops"] = Math.Round(totalFlops / totalMs / 1e6, 1),
        });
        return 0;
    }
}

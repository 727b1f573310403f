using System.Diagnostics;
using Kfac.Cpu;
using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Bench;

/// <summary>
/// `conv-input-gradient`: the ConvNet's second convolution's input gradient, dx = col2im(W^T dY) over [128, 32, 14, 14]
/// images (5 x 5 kernel, 64 output channels), with W^T dY built a few images at a time (the CPU backend's
/// <see cref="CpuBackend.ConvolutionPieceBytes"/>, each setting of --piece-bytes) against the whole batch's 800 x 25 088
/// matrix (--piece-bytes 0: <see cref="ConvolutionLowering.InputGradient"/>). Settings alternate round by round in one
/// process; per setting the median ms and the median over rounds of its ms over the first setting's.
/// </summary>
internal sealed class ConvInputGradientBench : IBenchCommand
{
    public string Name => "conv-input-gradient";

    public string Description => "the ConvNet's second convolution's input gradient, W^T dY in pieces vs whole: --batch 128 --piece-bytes 0,4194304 (0 = whole batch) --rounds 20 --threads N --json";

    public int Run(BenchArgs args)
    {
        var o = GemmBenchOptions.Parse(args);
        int batch = args.Int("batch", 128), rounds = args.Int("rounds", 20);
        int[] settings = args.IntList("piece-bytes", [0, 4 << 20]);
        var g = new WindowGeometry(batch, 32, 14, 14, 5, 5, 1, 1, 2, 2);
        const int cout = 64;
        var rng = new Random(5);
        var w = Tensor.RandN(new Shape(cout, g.PatchSize), rng, std: 0.05);
        var dyc = Tensor.RandN(new Shape(cout, g.PatchCount), rng);
        var dx = Tensor.Zeros(new Shape(g.Batch, g.Channels, g.Height, g.Width));

        var previousThreads = CpuParallel.MaxThreads;
        var previousBytes = CpuBackend.ConvolutionPieceBytes;
        CpuParallel.MaxThreads = o.Threads;
        var ms = new double[settings.Length][];
        for (int s = 0; s < settings.Length; s++) ms[s] = new double[rounds];
        try
        {
            for (int r = -3; r < rounds; r++)
                for (int s = 0; s < settings.Length; s++)
                    using (TensorScope.Begin())
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        if (settings[s] == 0) ConvolutionLowering.InputGradient(w.Backend, w, g, dyc, dx, false);
                        else
                        {
                            CpuBackend.ConvolutionPieceBytes = settings[s];
                            w.Backend.ConvolutionInputGradient(w, g, dyc, dx, false);
                        }
                        if (r >= 0) ms[s][r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    }
        }
        finally
        {
            CpuParallel.MaxThreads = previousThreads;
            CpuBackend.ConvolutionPieceBytes = previousBytes;
        }

        for (int s = 0; s < settings.Length; s++)
        {
            var fields = new Dictionary<string, object>
            {
                ["op"] = "conv_input_gradient", ["batch"] = batch, ["threads"] = o.Threads, ["isa"] = o.IsaName,
                ["piece_bytes"] = settings[s] == 0 ? "whole" : settings[s].ToString(),
                ["ms"] = Math.Round(Timing.Median(ms[s].OrderBy(v => v).ToArray()), 3),
                ["ratio_to_first_per_round_median"] = Math.Round(Timing.Median(ms[s].Zip(ms[0], (a, b) => a / b).OrderBy(v => v).ToArray()), 4),
            };
            if (settings[s] != 0)
            {
                CpuBackend.ConvolutionPieceBytes = settings[s];
                fields["images_per_piece"] = CpuBackend.ImagesPerPiece(g, sizeof(float));
                CpuBackend.ConvolutionPieceBytes = previousBytes;
            }
            JsonLine.Print(o.Json, fields);
        }
        return 0;
    }
}

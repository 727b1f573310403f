using System.Diagnostics;
using Kfac.Cpu;
using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Bench;

/// <summary>
/// `conv-products`: the ConvNet's two convolutions' products (forward, weight gradient, input gradient of the second)
/// as a training step runs them, with the patch matrix built in pieces of a few images (the CPU backend's
/// <see cref="CpuBackend.ConvolutionChunkBytes"/>, each setting of --piece-bytes) against the whole batch's patch
/// matrix built once and used by all three products (--piece-bytes 0: <see cref="ConvolutionLowering"/>'s im2col,
/// GEMMs and col2im with the forward's patches kept, as the convolution ran before stop 48). Settings alternate
/// round by round in one process; per setting the median ms of each product and of their sum, and per round the
/// ratio of each setting's sum to the first's.
/// </summary>
internal sealed class ConvProductsBench : IBenchCommand
{
    public string Name => "conv-products";

    public string Description => "the ConvNet's convolution products, patch matrix in pieces vs whole: --batch 128 --piece-bytes 0,2097152 (0 = whole batch, patches kept) --rounds 20 --threads N --json";

    private sealed record Layer(string Name, WindowGeometry G, int Cout, bool InputGradient);

    public int Run(BenchArgs args)
    {
        var o = GemmBenchOptions.Parse(args);
        int batch = args.Int("batch", 128), rounds = args.Int("rounds", 20);
        int[] settings = args.IntList("piece-bytes", [0, 2 << 20]);
        Layer[] layers =
        [
            new("conv1", new WindowGeometry(batch, 1, 28, 28, 5, 5, 1, 1, 2, 2), 32, false),
            new("conv2", new WindowGeometry(batch, 32, 14, 14, 5, 5, 1, 1, 2, 2), 64, true),
        ];
        var rng = new Random(5);
        var data = layers.Select(l => (
            X: Tensor.RandN(new Shape(l.G.Batch, l.G.Channels, l.G.Height, l.G.Width), rng),
            W: Tensor.RandN(new Shape(l.Cout, l.G.PatchSize), rng, std: 0.05),
            Dyc: Tensor.RandN(new Shape(l.Cout, l.G.PatchCount), rng),
            Yc: Tensor.Zeros(new Shape(l.Cout, l.G.PatchCount)),
            Dw: Tensor.Zeros(new Shape(l.Cout, l.G.PatchSize)),
            Dx: Tensor.Zeros(new Shape(l.G.Batch, l.G.Channels, l.G.Height, l.G.Width)))).ToArray();

        var previousThreads = CpuParallel.MaxThreads;
        var previousBytes = CpuBackend.ConvolutionChunkBytes;
        CpuParallel.MaxThreads = o.Threads;
        // [setting][round] -> ms of (layer, product) and the round's sum
        var ms = new double[settings.Length, rounds + 3, layers.Length * 3];
        try
        {
            for (int r = -3; r < rounds; r++)
                for (int s = 0; s < settings.Length; s++)
                    for (int l = 0; l < layers.Length; l++)
                    {
                        var (layer, d) = (layers[l], data[l]);
                        var times = settings[s] == 0 ? Whole(layer, d.X, d.W, d.Dyc, d.Yc, d.Dw, d.Dx) : Pieces(settings[s], layer, d.X, d.W, d.Dyc, d.Yc, d.Dw, d.Dx);
                        if (r >= 0)
                            for (int p = 0; p < 3; p++) ms[s, r, l * 3 + p] = times[p];
                    }
        }
        finally
        {
            CpuParallel.MaxThreads = previousThreads;
            CpuBackend.ConvolutionChunkBytes = previousBytes;
        }

        string[] products = ["forward", "weight_gradient", "input_gradient"];
        double[] sum0 = RoundSums(ms, 0, rounds, layers.Length);
        for (int s = 0; s < settings.Length; s++)
        {
            var fields = new Dictionary<string, object>
            {
                ["op"] = "conv_products", ["batch"] = batch, ["threads"] = o.Threads, ["isa"] = o.IsaName,
                ["piece_bytes"] = settings[s] == 0 ? "whole (patches kept)" : settings[s].ToString(),
            };
            for (int l = 0; l < layers.Length; l++)
                for (int p = 0; p < 3; p++)
                    if (p < 2 || layers[l].InputGradient)
                        fields[$"{layers[l].Name}_{products[p]}_ms"] = Math.Round(Timing.Median(Sorted(ms, s, rounds, l * 3 + p)), 3);
            if (settings[s] != 0)
            {
                int per = ImagesPerPiece(settings[s], layers[^1].G);
                fields["conv2_images_per_piece"] = per;
            }
            var sums = RoundSums(ms, s, rounds, layers.Length);
            fields["total_ms"] = Math.Round(Timing.Median(sums.OrderBy(v => v).ToArray()), 3);
            fields["ratio_to_first_per_round_median"] = Math.Round(Timing.Median(sums.Zip(sum0, (a, b) => a / b).OrderBy(v => v).ToArray()), 4);
            JsonLine.Print(o.Json, fields);
        }
        return 0;
    }

    private static int ImagesPerPiece(int bytes, WindowGeometry g)
    {
        var previous = CpuBackend.ConvolutionChunkBytes;
        CpuBackend.ConvolutionChunkBytes = bytes;
        try { return CpuBackend.ImagesPerPiece(g, sizeof(float)); }
        finally { CpuBackend.ConvolutionChunkBytes = previous; }
    }

    private static double[] Sorted(double[,,] ms, int s, int rounds, int column)
    {
        var v = new double[rounds];
        for (int r = 0; r < rounds; r++) v[r] = ms[s, r, column];
        Array.Sort(v);
        return v;
    }

    private static double[] RoundSums(double[,,] ms, int s, int rounds, int layers)
    {
        var sums = new double[rounds];
        for (int r = 0; r < rounds; r++)
            for (int c = 0; c < layers * 3; c++) sums[r] += ms[s, r, c];
        return sums;
    }

    /// <summary>The backend's products with the patch matrix in pieces of <paramref name="bytes"/>.</summary>
    private static double[] Pieces(int bytes, Layer l, Tensor x, Tensor w, Tensor dyc, Tensor yc, Tensor dw, Tensor dx)
    {
        CpuBackend.ConvolutionChunkBytes = bytes;
        var backend = x.Backend;
        var t = new double[3];
        using (TensorScope.Begin())
        {
            long t0 = Stopwatch.GetTimestamp();
            backend.ConvolutionForward(x, l.G, w, 0, yc);
            long t1 = Stopwatch.GetTimestamp();
            backend.ConvolutionWeightGradient(x, l.G, dyc, 0, dw);
            long t2 = Stopwatch.GetTimestamp();
            if (l.InputGradient) backend.ConvolutionInputGradient(w, l.G, dyc, dx, false);
            long t3 = Stopwatch.GetTimestamp();
            t[0] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            t[1] = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
            t[2] = Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
        }
        return t;
    }

    /// <summary>The whole batch's patch matrix, built once in the forward and read again by the weight gradient.</summary>
    private static double[] Whole(Layer l, Tensor x, Tensor w, Tensor dyc, Tensor yc, Tensor dw, Tensor dx)
    {
        var backend = x.Backend;
        var g = l.G;
        var t = new double[3];
        using (TensorScope.Begin())
        {
            long t0 = Stopwatch.GetTimestamp();
            var cols = Tensor.Empty(new Shape(g.PatchSize, g.PatchCount), x.DType, x.Device);
            backend.Im2Col(x, g, cols);
            backend.Gemm(false, false, l.Cout, g.PatchCount, g.PatchSize, 1, w, cols, 0, yc);
            long t1 = Stopwatch.GetTimestamp();
            backend.Gemm(false, true, l.Cout, g.PatchSize, g.PatchCount, 1, dyc, cols, 0, dw);
            long t2 = Stopwatch.GetTimestamp();
            if (l.InputGradient) ConvolutionLowering.InputGradient(backend, w, g, dyc, dx, false);
            long t3 = Stopwatch.GetTimestamp();
            t[0] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            t[1] = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
            t[2] = Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
        }
        return t;
    }
}

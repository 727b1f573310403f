using Kfac.Examples.ConvNet;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Bench;

/// <summary>
/// `convstep --model convnet --optimizer kfac|sgd|momentum|adam --batch 128 [--batchnorm] [--runs 10] [--warmup 5] [--json]`:
/// the median time of one training step of examples/ConvNet's network on random 28 x 28 images, next to the
/// median time of its forward + backward pass alone and the GEMM-bound lower bound of that pass (its GEMM
/// FLOPs divided by the GFLOP/s this machine reaches on the conv2 forward GEMM shape).
/// </summary>
internal sealed class ConvStepBench : IBenchCommand
{
    public string Name => "convstep";

    public string Description => "ConvNet training step time per optimizer (ms_per_step) and the GEMM-bound forward+backward";

    public int Run(BenchArgs args)
    {
        string model = args.String("model", "convnet")!;
        if (model != "convnet") throw new ArgumentException($"--model {model}: only convnet is defined");
        string optimizer = args.String("optimizer", "kfac")!;
        int batch = args.Int("batch", 128), runs = args.Int("runs", 10), warmup = args.Int("warmup", 5);
        bool batchNorm = args.Flag("batchnorm");

        var net = ConvNetModel.Build(batchNorm, seed: 1);
        var loss = new SoftmaxCrossEntropy();
        var rng = new System.Random(2);
        var x = Tensor.RandN(new Shape(batch, 1, ConvNetModel.Height, ConvNetModel.Width), rng);
        var t = SoftmaxOps.OneHot(Enumerable.Range(0, batch).Select(_ => rng.Next(ConvNetModel.Classes)).ToArray(), ConvNetModel.Classes);
        var stepper = Steppers.Create(optimizer, net, loss, args.String("lr") is null ? null : args.Double("lr", 0));

        var step = Timing.Measure(() => { using (TensorScope.Begin()) stepper.Step(x, t); }, warmup, runs);
        var forwardBackward = Timing.Measure(() =>
        {
            using (TensorScope.Begin()) loss.Value(net.Forward(x), t).Backward();
        }, warmup, runs);

        double flops = ConvNetModel.GemmFlops(batch);
        double gemmRate = GemmRate(batch);
        JsonLine.Print(args.Flag("json"), new Dictionary<string, object>
        {
            ["bench"] = Name, ["model"] = model, ["optimizer"] = optimizer, ["batchnorm"] = batchNorm, ["batch"] = batch,
            ["ms_per_step"] = 1e3 * Timing.Median(step),
            ["forward_backward_ms"] = 1e3 * Timing.Median(forwardBackward),
            ["forward_backward_gemm_gflop"] = flops / 1e9,
            ["gemm_gflops"] = gemmRate / 1e9,
            ["gemm_bound_ms"] = 1e3 * flops / gemmRate,
            ["threads"] = Environment.ProcessorCount,
        });
        return 0;
    }

    /// <summary>FLOP/s of the backend GEMM on the largest GEMM of the pass (conv2 forward: [batch 196, 800] x [800, 64]).</summary>
    private static double GemmRate(int batch)
    {
        int m = batch * 14 * 14, k = 800, n = 64;
        var rng = new System.Random(3);
        var a = Tensor.RandN(new Shape(m, k), rng);
        var b = Tensor.RandN(new Shape(n, k), rng);
        var c = Tensor.Empty(new Shape(m, n));
        var seconds = Timing.Measure(() => a.Backend.Gemm(false, true, m, n, k, 1, a, b, 0, c), 1, 5);
        return 2.0 * m * n * k / Timing.Median(seconds);
    }
}

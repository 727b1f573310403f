using System.Diagnostics;
using System.Globalization;
using Kfac.Bayes;
using Kfac.Cpu;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;

namespace Kfac.Bench;

/// <summary>
/// Per-iteration cost of the variational optimizers against plain K-FAC on the same network and the same
/// mini-batch: noisy K-FAC (NG-MVG), K-FAC (<see cref="KfacOptimizer"/>, its defaults), Bayes by Backprop (weight
/// sampling and local reparameterisation), noisy Adam and the Adam point estimate. Noisy K-FAC refreshes its inverses
/// every T_inv = K-FAC's T3 steps, so both amortise the same number of factor inversions. The methods are timed in
/// interleaved rounds (each round: every method runs --steps steps, a whole number of inverse periods), so a shared
/// machine's load falls on all alike; the report is the median over rounds of ms per step, and the ratios to K-FAC
/// and to BBB.
/// </summary>
internal sealed class BayesCostBench : IBenchCommand
{
    public string Name => "bayes-cost";

    public string Description => "ms per iteration of noisy K-FAC vs K-FAC vs BBB (+ local), noisy Adam, Adam on one MLP and batch: --sizes 784,100,10 --batch 100 [--regression (squared error, float64)] --steps 20 --rounds 5 --particles 1 [--threads N]";

    public int Run(BenchArgs args)
    {
        int[] sizes = args.IntList("sizes", [784, 100, 10]);
        int batch = args.Int("batch", 100);
        int steps = args.Int("steps", 20);
        int rounds = args.Int("rounds", 5);
        int particles = args.Int("particles", 1);
        int threads = args.Int("threads", 0);
        bool regression = args.Flag("regression");
        if (sizes.Length < 2 || sizes.Any(s => s <= 0)) throw new ArgumentException($"--sizes needs at least two positive layer widths, got {string.Join(",", sizes)}");
        if (steps <= 0 || rounds <= 0 || batch <= 0 || particles <= 0) throw new ArgumentException("--steps, --rounds, --batch and --particles must be positive");
        if (threads > 0) CpuParallel.MaxThreads = threads;
        var dtype = regression ? DType.Float64 : DType.Float32;
        var rng = new System.Random(1);
        var x = Tensor.RandN(new Shape(batch, sizes[0]), rng, dtype: dtype);
        Tensor y;
        ILoss loss;
        if (regression)
        {
            y = Tensor.RandN(new Shape(batch, sizes[^1]), rng, dtype: dtype);
            loss = new SquaredError(1);
        }
        else
        {
            y = SoftmaxOps.OneHot(Enumerable.Range(0, batch).Select(_ => rng.Next(sizes[^1])).ToArray(), sizes[^1]);
            loss = new SoftmaxCrossEntropy();
        }
        var kfacOptions = new KfacOptions();
        int period = kfacOptions.InverseInterval;
        var methods = new List<(string Name, Action Step)>();
        foreach (var name in new[] { "kfac", "noisy-kfac", "bbb", "bbb-local", "noisy-adam", "adam" })
        {
            var model = Mlp.Create(sizes, Activation.Relu, seed: 2, dtype: dtype);
            Func<Tensor, Tensor> forward = model.Forward;
            var options = new VariationalOptions { TrainingSetSize = 10 * batch, Particles = name == "adam" ? 1 : particles, Seed = 3 };
            IReadOnlyList<Kfac.Curvature.DenseTag> Layers() => NoisyKfac.DiscoverLayers(forward, Tensor.Zeros(new Shape(1, sizes[0]), dtype));
            Action step = name switch
            {
                "kfac" => MakeKfac(model, loss, kfacOptions, x, y),
                "noisy-kfac" => Variational(new NoisyKfac(Layers(), options, extrinsicDamping: 0.01, inverseInterval: period), forward, x, y, loss),
                "bbb" => Variational(new BayesByBackprop(model.Parameters(), options), forward, x, y, loss),
                "bbb-local" => Variational(new BayesByBackprop(model.Parameters(), options, localReparameterisation: Layers()), forward, x, y, loss),
                "noisy-adam" => Variational(new NoisyAdam(model.Parameters(), options, extrinsicDamping: 0.01, layers: Layers()), forward, x, y, loss),
                _ => Variational(new PointEstimateAdam(model.Parameters(), options), forward, x, y, loss),
            };
            for (int i = 0; i < period; i++) step(); // warm-up: one inverse period
            methods.Add((name, step));
        }
        var perRound = methods.ToDictionary(m => m.Name, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
            foreach (var (name, step) in methods)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < steps; i++) step();
                perRound[name].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / steps);
            }
        var median = perRound.ToDictionary(p => p.Key, p => Timing.Median(p.Value.OrderBy(v => v).ToArray()));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"MLP {string.Join("-", sizes)}, batch {batch}, {(regression ? "squared error, float64" : "softmax cross-entropy, float32")}, {particles} particle(s), T_inv = T3 = {period}, {rounds} rounds x {steps} steps, threads {CpuParallel.MaxThreads}"));
        Console.WriteLine($"{"method",-12} {"ms/iteration (median)",22} {"x K-FAC",8} {"x BBB",8}  per round");
        foreach (var (name, _) in methods)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-12} {median[name],22:F3} {median[name] / median["kfac"],8:F2} {median[name] / median["bbb"],8:F2}  {string.Join(" ", perRound[name].Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))}"));
        return 0;
    }

    private static Action MakeKfac(Module model, ILoss loss, KfacOptions options, Tensor x, Tensor y)
    {
        var optimizer = new KfacOptimizer(model.Parameters(), loss, options);
        return () =>
        {
            using var scope = TensorScope.Begin();
            optimizer.Step(model.Forward, x, y);
        };
    }

    private static Action Variational(VariationalOptimizer optimizer, Func<Tensor, Tensor> forward, Tensor x, Tensor y, ILoss loss) => () =>
    {
        using var scope = TensorScope.Begin();
        optimizer.Step(forward, x, y, loss);
    };
}

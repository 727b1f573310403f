using Kfac.Autodiff;
using Kfac.Data;
using Kfac.Examples;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Tensors;

// The K-FAC paper's deep autoencoder (Martens & Grosse 2015, section 13) on Fashion-MNIST:
// 784-1000-500-250-30 encoder, mirrored decoder, logistic units, linear code, Bernoulli loss.
// train_error is the paper's figure: squared reconstruction error per example summed over pixels,
// on a fixed subset of (up to) 10000 training images. With --validation F a stratified fraction F of the training set is
// held out (the same fixed split as the classifiers') and validation_error, the same error on those images, is logged
// too: the figure a tuning grid is judged on (bench/tune_validation.py).
// Defaults are the best measured (ExampleDefaults.Autoencoder, from docs/BENCHMARKS.md, Damping defaults).
var command = new ExampleCommand("Deep autoencoder (Martens & Grosse 2015) on Fashion-MNIST", ExampleDefaults.Autoencoder);
command.Root.SetAction(parse =>
{
    var s = command.Read(parse);
    if (s.Threads > 0) Kfac.Cpu.CpuParallel.MaxThreads = s.Threads;
    var data = Datasets.LoadForRun(s);
    var model = DeepAutoencoder.Create(seed: s.Seed, device: s.ComputeDevice);
    var loss = new SigmoidCrossEntropy();
    var step = Optimizers.Create(s, model, loss);
    using var loader = new DataLoader(data.Train, s.BatchSize, shuffle: true, seed: s.Seed, device: s.ComputeDevice);
    var errorSubset = Subset(data.Train.Inputs, 10000, s.ComputeDevice);
    var validation = s.ValidationFraction > 0 ? Subset(data.Test.Inputs, data.Test.Count, s.ComputeDevice) : null;
    Console.WriteLine($"model: {model.ParameterCount()} parameters; optimizer {s.Optimizer}; batch {s.BatchSize}; device {s.ComputeDevice}");
    var summary = ExampleRunner.Run(s, model, step, loader, b => b.Inputs, () =>
    {
        var metrics = new Dictionary<string, double> { ["train_error"] = ReconstructionError(model, errorSubset) };
        if (validation is not null) metrics["validation_error"] = ReconstructionError(model, validation);
        return metrics;
    });
    Console.WriteLine($"finished: {summary.Steps} steps, {summary.Seconds:F1} s training, train_error {summary.LastEvaluation?["train_error"]:F3}");
    return 0;
});
return ExampleMain.Invoke(command.Root, args);

// The first n rows (the training set is in file order, so this subset is fixed), on the training device.
static Tensor Subset(Tensor x, int n, Device device)
{
    int rows = Math.Min(n, x.Shape[0]);
    using var outside = TensorScope.Suspend();
    var y = Tensor.Empty(new Shape(rows, x.Shape[1]), x.DType, x.Device);
    x.Backend.CopyBlock(x, 0, 0, y, 0, 0, 1, y.Numel);
    if (device.Equals(y.Device)) return y;
    var moved = y.To(device);
    y.Dispose();
    return moved;
}

// Mean over examples of sum over pixels of (sigmoid(output) - input)^2, in batches of 1000.
static double ReconstructionError(Module model, Tensor x)
{
    using var noGrad = GradMode.Disable();
    model.Eval();
    double total = 0;
    int n = x.Shape[0], d = x.Shape[1];
    for (int start = 0; start < n; start += 1000)
    {
        using var scope = TensorScope.Begin();
        int rows = Math.Min(1000, n - start);
        var batch = Tensor.Empty(new Shape(rows, d), x.DType, x.Device);
        x.Backend.CopyBlock(x, start * d, 0, batch, 0, 0, 1, rows * d);
        var diff = model.Forward(batch).Sigmoid() - batch;
        total += diff.Backend.Dot(diff, diff);
    }
    model.Train();
    return total / n;
}

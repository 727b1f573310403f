using System.CommandLine;
using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Data;
using Kfac.Examples;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tensors;

// The KFC-style convnet (conv 5x5 32 - relu - maxpool - conv 5x5 64 - relu - maxpool - dense 1024 - relu - dense 10)
// on Fashion-MNIST, trained by K-FAC/KFC or a first-order optimizer; logs test accuracy. --diagnostics prints
// KFC's spatial-correlation check (docs/kfc.md) for the trained network.
// Defaults are the best measured (ExampleDefaults.ConvNet, from docs/BENCHMARKS.md, ConvNet).
var command = new ExampleCommand("Convolutional network on Fashion-MNIST with KFC (K-FAC for convolutions)", ExampleDefaults.ConvNet);
var batchNormOption = new Option<bool>("--batchnorm") { Description = "batch norm after each conv layer and the hidden dense layer" };
var hiddenOption = new Option<int>("--hidden") { Description = "width of the hidden dense layer", DefaultValueFactory = _ => 1024 };
var diagnosticsOption = new Option<bool>("--diagnostics") { Description = "print the spatial autocorrelation of activations and derivatives per conv layer" };
command.Root.Add(batchNormOption);
command.Root.Add(diagnosticsOption);
command.Root.Add(hiddenOption);
command.Root.SetAction(parse =>
{
    var s = command.Read(parse);
    if (s.Threads > 0) Kfac.Cpu.CpuParallel.MaxThreads = s.Threads;
    var data = Datasets.LoadForRun(s);
    bool batchNorm = parse.GetValue(batchNormOption);
    var model = ConvNet.Create(batchNorm, seed: s.Seed, device: s.ComputeDevice, hidden: parse.GetValue(hiddenOption));
    var loss = new SoftmaxCrossEntropy();
    var step = Optimizers.Create(s, model, loss);
    using var loader = new DataLoader(data.Train, s.BatchSize, shuffle: true, seed: s.Seed, dropLast: true, device: s.ComputeDevice);
    Console.WriteLine($"model: {model.ParameterCount()} parameters{(batchNorm ? ", batch norm" : "")}; optimizer {s.Optimizer}; batch {s.BatchSize}; device {s.ComputeDevice}");
    var summary = ExampleRunner.Run(s, model, step, loader, b => SoftmaxOps.OneHot(b.Labels!, data.Train.ClassCount, device: s.ComputeDevice),
        () => new Dictionary<string, double> { ["test_accuracy"] = Accuracy(model, data.Test) });
    Console.WriteLine($"finished: {summary.Steps} steps, {summary.Seconds:F1} s training, {Datasets.EvaluationSet(s)}_accuracy {summary.LastEvaluation?[Datasets.EvaluationSet(s) + "_accuracy"]:F4}");
    if (parse.GetValue(diagnosticsOption)) PrintSpatialCorrelation(model, loss, data.Train, s.BatchSize, s.Seed);
    return 0;
});
return ExampleMain.Invoke(command.Root, args);

// Fraction of the test set classified correctly, in evaluation mode (running batch-norm statistics).
static double Accuracy(Module model, LabeledData test)
{
    using var noGrad = GradMode.Disable();
    model.Eval();
    int correct = 0;
    using var loader = DataLoader.InOrder(test, 500, ExampleDevices.Of(model));
    foreach (var batch in loader.Epoch())
    {
        using var scope = TensorScope.Begin();
        var logits = model.Forward(batch.Inputs).ToArray<float>();
        int k = test.ClassCount;
        for (int i = 0; i < batch.Count; i++)
        {
            int best = 0;
            for (int c = 1; c < k; c++) if (logits[i * k + c] > logits[i * k + best]) best = c;
            if (best == batch.Labels![i]) correct++;
        }
    }
    model.Train();
    return (double)correct / test.Count;
}

// KFC's spatial assumptions on one training batch (sampled Fisher targets): activations vs derivatives.
static void PrintSpatialCorrelation(Module model, ILoss loss, LabeledData train, int batchSize, int seed)
{
    using var scope = TensorScope.Begin();
    using var loader = DataLoader.InOrder(train, Math.Min(batchSize, train.Count), ExampleDevices.Of(model));
    foreach (var batch in loader.Epoch())
    {
        var recorder = new CurvatureRecorder();
        Tensor z;
        using (recorder.Activate()) z = model.Forward(batch.Inputs);
        FisherTargets.Backpropagate(loss, z, FisherEstimation.Sampled, new Kfac.Sampling.RandomStream((ulong)seed + 7), recorder, retainGraph: false);
        foreach (var r in SpatialCorrelation.Measure(recorder.Captures, radius: 2)) Console.WriteLine(r + Environment.NewLine);
        break;
    }
}


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
// Defaults are the best measured (docs/BENCHMARKS.md, ConvNet): first-order optimizers at batch 128; KFC at batch 256
// with statistics and the quadratic model on a quarter of it (64 rows) and lambda kept >= 0.01 (a softmax output's
// Fisher has rank 9 per example, so a 64-row quadratic model alone would drive the damping to zero).
var command = new ExampleCommand("Convolutional network on Fashion-MNIST with KFC (K-FAC for convolutions)", defaultBatch: 128,
    kfacDefaults: new Kfac.Optim.Kfac.KfacOptions { InitialLambda = 1, StatisticsFraction = 0.25, QuadraticModelFraction = 0.25, MinLambda = 0.01 },
    kfacBatch: 256);
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
    var model = ConvNet.Create(batchNorm, seed: s.Seed, hidden: parse.GetValue(hiddenOption));
    var loss = new SoftmaxCrossEntropy();
    var step = Optimizers.Create(s, model, loss, defaultLearningRate: s.Optimizer == "adam" ? 1e-3 : 0.03); // tuned: Adam 1e-3, momentum 0.03 (BENCHMARKS)
    using var loader = new DataLoader(data.Train, s.BatchSize, shuffle: true, seed: s.Seed, dropLast: true);
    Console.WriteLine($"model: {model.ParameterCount()} parameters{(batchNorm ? ", batch norm" : "")}; optimizer {s.Optimizer}; batch {s.BatchSize}");
    var summary = ExampleRunner.Run(s, model, step, loader, b => SoftmaxOps.OneHot(b.Labels!, data.Train.ClassCount),
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
    using var loader = DataLoader.InOrder(test, 500);
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
    using var loader = DataLoader.InOrder(train, Math.Min(batchSize, train.Count));
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


using Kfac.Autodiff;
using Kfac.Data;
using Kfac.Examples;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tensors;

// An MLP classifier (784-1000-500-10 ReLU, softmax cross-entropy) on Fashion-MNIST, logging test accuracy.
// Defaults are the best measured (ExampleDefaults.Classifier, from docs/BENCHMARKS.md, Damping defaults).
var command = new ExampleCommand("MLP classifier on Fashion-MNIST", ExampleDefaults.Classifier);
command.Root.SetAction(parse =>
{
    var s = command.Read(parse);
    if (s.Threads > 0) Kfac.Cpu.CpuParallel.MaxThreads = s.Threads;
    var data = Datasets.LoadForRun(s);
    var model = Mlp.Create([784, 1000, 500, 10], Activation.Relu, seed: s.Seed, device: s.ComputeDevice);
    var loss = new SoftmaxCrossEntropy();
    var step = Optimizers.Create(s, model, loss);
    using var loader = new DataLoader(data.Train, s.BatchSize, shuffle: true, seed: s.Seed, device: s.ComputeDevice);
    Console.WriteLine($"model: {model.ParameterCount()} parameters; optimizer {s.Optimizer}; batch {s.BatchSize}; device {s.ComputeDevice}");
    var summary = ExampleRunner.Run(s, model, step, loader, b => SoftmaxOps.OneHot(b.Labels!, data.Train.ClassCount, device: s.ComputeDevice),
        () => ClassifierEvaluation.Evaluate(model, loss, data.Test));
    Console.WriteLine($"finished: {summary.Steps} steps, {summary.Seconds:F1} s training, {Datasets.EvaluationSet(s)}_accuracy {summary.LastEvaluation?[Datasets.EvaluationSet(s) + "_accuracy"]:F4}");
    return 0;
});
return ExampleMain.Invoke(command.Root, args);

using Kfac.Autodiff;
using Kfac.Data;
using Kfac.Examples;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tensors;

// An MLP classifier (784-1000-500-10 ReLU, softmax cross-entropy) on Fashion-MNIST, logging test accuracy.
var command = new ExampleCommand("MLP classifier on Fashion-MNIST", defaultBatch: 100);
command.Root.SetAction(parse =>
{
    var s = command.Read(parse);
    if (s.Threads > 0) Kfac.Cpu.CpuParallel.MaxThreads = s.Threads;
    var data = Datasets.Load(s.Data, s.DataDir);
    var model = Mlp.Create([784, 1000, 500, 10], Activation.Relu, seed: s.Seed);
    var loss = new SoftmaxCrossEntropy();
    var step = Optimizers.Create(s, model, loss, defaultLearningRate: s.Optimizer == "adam" ? 1e-3 : 0.05);
    using var loader = new DataLoader(data.Train, s.BatchSize, shuffle: true, seed: s.Seed);
    Console.WriteLine($"model: {model.ParameterCount()} parameters; optimizer {s.Optimizer}; batch {s.BatchSize}");
    var summary = ExampleRunner.Run(s, model, step, loader, b => SoftmaxOps.OneHot(b.Labels!, data.Train.ClassCount),
        () => Evaluate(model, loss, data.Test));
    Console.WriteLine($"finished: {summary.Steps} steps, {summary.Seconds:F1} s training, test_accuracy {summary.LastEvaluation?["test_accuracy"]:F4}");
    return 0;
});
return command.Root.Parse(args).Invoke();

static Dictionary<string, double> Evaluate(Module model, ILoss loss, LabeledData test)
{
    using var noGrad = GradMode.Disable();
    model.Eval();
    int correct = 0;
    double lossSum = 0;
    using var loader = DataLoader.InOrder(test, 1000);
    foreach (var batch in loader.Epoch())
    {
        using var scope = TensorScope.Begin();
        var logits = model.Forward(batch.Inputs);
        var labels = batch.Labels!;
        lossSum += loss.Value(logits, SoftmaxOps.OneHot(labels, test.ClassCount)).Item() * batch.Count;
        var z = logits.ToArray<float>();
        int k = test.ClassCount;
        for (int i = 0; i < batch.Count; i++)
        {
            int best = 0;
            for (int c = 1; c < k; c++) if (z[i * k + c] > z[i * k + best]) best = c;
            if (best == labels[i]) correct++;
        }
    }
    model.Train();
    return new Dictionary<string, double> { ["test_accuracy"] = (double)correct / test.Count, ["test_loss"] = lossSum / test.Count };
}

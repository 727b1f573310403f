using System.Diagnostics;
using Kfac.Bayes;
using Kfac.Data;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;

namespace Kfac.Examples.BayesianClassifier;

public sealed record ClassifierOptions
{
    public required string Method { get; init; }
    public int Hidden { get; init; } = 100;
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 100;
    /// <summary>Step size: noisy K-FAC's alpha, Adam's learning rate; K-FAC (point estimate) keeps its defaults.</summary>
    public double? LearningRate { get; init; }
    /// <summary>lambda, the KL weight of the ELBO (1: the true posterior; Zhang et al. use lambda &lt; 1 for large nets).</summary>
    public double KlWeight { get; init; } = 1;
    public double ExtrinsicDamping { get; init; } = 1e-2;
    public double StatisticsBeta { get; init; } = 1e-2;
    public int InverseInterval { get; init; } = 50;
    /// <summary>Noisy K-FAC's KL clip kappa (+infinity: none).</summary>
    public double KlClip { get; init; } = NoisyKfac.DefaultKlClip;
    public int TestSamples { get; init; } = 20;
    public int Seed { get; init; }
}

/// <summary>Trains a 784-H-10 ReLU MLP on a classification set by one method and evaluates it on the test set:
/// noisy K-FAC by the posterior predictive (Monte Carlo, softmax averaging), the point estimates at their weights.</summary>
public static class ClassifierRun
{
    /// <param name="AtMean">noisy K-FAC only: the prediction of the posterior MEAN network (no sampling), to separate
    /// what the averaging over samples buys from where the mean got to.</param>
    public sealed record Result(ClassificationPrediction Prediction, ClassificationPrediction? AtMean, double TrainSeconds, long Iterations, int SkippedSteps);

    public static Result Run(ClassificationDataset data, ClassifierOptions o, Action<string>? progress = null)
    {
        var train = data.Train;
        int inputs = train.Inputs.Shape.Product(1, train.Inputs.Rank), k = train.ClassCount, n = train.Count;
        var model = Mlp.Create([inputs, o.Hidden, k], Activation.Relu, seed: o.Seed);
        var loss = new SoftmaxCrossEntropy();
        Func<Tensor, Tensor> forward = model.Forward;
        NoisyKfac? noisy = null;
        ITrainingStep? point = null;
        switch (o.Method)
        {
            case "noisy-kfac":
                var variational = new VariationalOptions { TrainingSetSize = n, KlWeight = o.KlWeight, Particles = 1, Seed = o.Seed };
                noisy = new NoisyKfac(NoisyKfac.DiscoverLayers(forward, Tensor.Zeros(new Shape(1, inputs))),
                    variational with { LearningRate = o.LearningRate ?? variational.LearningRate },
                    statisticsDecay: 1 - o.StatisticsBeta, extrinsicDamping: o.ExtrinsicDamping, inverseInterval: o.InverseInterval,
                    klClip: o.KlClip);
                break;
            case "kfac":
                // the Classifier example's K-FAC (ExampleDefaults.Classifier: lambda 1, T3 = 5)
                point = TrainingSteps.Create(model, loss, new OptimizerChoice { Name = OptimizerNames.Kfac, Kfac = ExampleDefaults.Classifier.Kfac with { Seed = (ulong)o.Seed + 1 } });
                break;
            case "adam":
                var adam = ExampleDefaults.Classifier.Adam;
                point = TrainingSteps.Create(model, loss, new OptimizerChoice { Name = OptimizerNames.Adam, Adam = adam with { LearningRate = o.LearningRate ?? adam.LearningRate } });
                break;
            default:
                throw new ArgumentException($"--method: unknown '{o.Method}' (noisy-kfac | kfac | adam)");
        }
        using var loader = new DataLoader(train, o.BatchSize, shuffle: true, seed: o.Seed, dropLast: true);
        long iterations = 0;
        var clock = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            double lossSum = 0;
            int batches = 0;
            foreach (var batch in loader.Epoch())
            {
                using var scope = TensorScope.Begin();
                var targets = SoftmaxOps.OneHot(batch.Labels!, k);
                double l = noisy is not null ? noisy.Step(forward, batch.Inputs, targets, loss).MeanLoss : point!.Step(batch.Inputs, targets);
                iterations++;
                if (double.IsFinite(l))
                {
                    lossSum += l;
                    batches++;
                }
            }
            progress?.Invoke($"  {o.Method,-10} epoch {epoch}: train loss {lossSum / Math.Max(1, batches):F4}  {clock.Elapsed.TotalSeconds:F0} s");
        }
        double seconds = clock.Elapsed.TotalSeconds;
        IWeightPosterior posterior = noisy is not null ? noisy.Posterior : new PointMassPosterior(model.Parameters());
        var blocks = TestBlocks(data.Test, 1000);
        model.Eval();
        var prediction = PredictiveClassification.Evaluate(forward, posterior, blocks, data.Test.Labels, k, noisy is null ? 1 : o.TestSamples, new System.Random(o.Seed + 1));
        var atMean = noisy is null ? null
            : PredictiveClassification.Evaluate(forward, new PointMassPosterior(model.Parameters()), blocks, data.Test.Labels, k, 1, new System.Random(0));
        model.Train();
        return new Result(prediction, atMean, seconds, iterations, noisy?.SkippedSteps ?? 0);
    }

    private static Tensor[] TestBlocks(LabeledData test, int rows)
    {
        var blocks = new List<Tensor>();
        for (int start = 0; start < test.Count; start += rows)
            blocks.Add(test.Subset(Enumerable.Range(start, Math.Min(rows, test.Count - start)).ToArray()).Inputs);
        return blocks.ToArray();
    }
}

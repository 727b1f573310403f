using System.Diagnostics;
using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Data;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Serialization;
using Kfac.Tensors;

namespace Kfac.Examples.ConvNet;

/// <summary>
/// Trains <see cref="ConvNetModel"/> on Fashion-MNIST with K-FAC/KFC or a first-order optimizer, logging JSON
/// lines (optimizer, step, epoch, seconds of training time with evaluation excluded, train_loss,
/// test_accuracy on the full test set). <c>--diagnostics</c> prints KFC's spatial-correlation check.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ExampleOptions o;
        try
        {
            if (args.Contains("--help") || args.Contains("-h"))
            {
                Console.WriteLine(ExampleOptions.Usage);
                return 0;
            }
            o = ExampleOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(ExampleOptions.Usage);
            return 2;
        }
        var data = o.Data == "embedded" ? FashionMnist.LoadEmbedded() : FashionMnist.Load();
        Console.WriteLine($"data: {data}");
        var model = ConvNetModel.Build(o.BatchNorm, o.Seed);
        Console.WriteLine(model);
        var loss = new SoftmaxCrossEntropy();
        var stepper = Steppers.Create(o.Optimizer, model, loss, o.LearningRate);
        using var log = o.LogPath is null ? null : MetricsLog.Open(o.LogPath, append: false);
        using var loader = new DataLoader(data.Train, o.BatchSize, shuffle: true, seed: o.Seed, dropLast: true);

        var clock = new Stopwatch();
        int step = 0;
        double lossSum = 0;
        int lossCount = 0;
        bool outOfTime = false;
        for (int epoch = 0; epoch < o.Epochs && !outOfTime; epoch++)
        {
            foreach (var batch in loader.Epoch(epoch))
            {
                clock.Start();
                using (TensorScope.Begin())
                {
                    var x = batch.Inputs.Reshape(batch.Count, 1, ConvNetModel.Height, ConvNetModel.Width);
                    var t = SoftmaxOps.OneHot(batch.Labels!, ConvNetModel.Classes);
                    lossSum += stepper.Step(x, t);
                    lossCount++;
                }
                clock.Stop();
                step++;
                outOfTime = clock.Elapsed.TotalSeconds >= o.Seconds;
                if ((o.EvalEvery > 0 && step % o.EvalEvery == 0) || outOfTime)
                    Report(o, log, model, data.Test, step, epoch, clock.Elapsed.TotalSeconds, ref lossSum, ref lossCount);
                if (outOfTime) break;
            }
            if (!outOfTime && (o.EvalEvery == 0 || step % o.EvalEvery != 0))
                Report(o, log, model, data.Test, step, epoch, clock.Elapsed.TotalSeconds, ref lossSum, ref lossCount);
        }
        if (o.Diagnostics) PrintDiagnostics(model, loss, data.Train, o.BatchSize);
        return 0;
    }

    private static void Report(ExampleOptions o, MetricsLog? log, Module model, LabeledData test, int step, int epoch, double seconds, ref double lossSum, ref int lossCount)
    {
        double trainLoss = lossCount > 0 ? lossSum / lossCount : double.NaN;
        double accuracy = Evaluation.Accuracy(model, test);
        Console.WriteLine(FormattableString.Invariant($"epoch {epoch} step {step} {seconds:F1}s train_loss {trainLoss:F4} test_accuracy {accuracy:F4}"));
        log?.Write(("optimizer", o.Optimizer), ("batchnorm", o.BatchNorm), ("step", step), ("epoch", epoch), ("seconds", seconds),
            ("train_loss", trainLoss), ("test_accuracy", accuracy));
        lossSum = 0;
        lossCount = 0;
    }

    /// <summary>KFC's spatial assumptions on one training batch of the trained network (sampled Fisher targets).</summary>
    private static void PrintDiagnostics(Module model, ILoss loss, LabeledData train, int batchSize)
    {
        using var scope = TensorScope.Begin();
        using var loader = DataLoader.InOrder(train, Math.Min(batchSize, train.Count));
        foreach (var batch in loader.Epoch())
        {
            var recorder = new CurvatureRecorder();
            Tensor z;
            var x = batch.Inputs.Reshape(batch.Count, 1, ConvNetModel.Height, ConvNetModel.Width);
            using (recorder.Activate()) z = model.Forward(x);
            FisherTargets.Backpropagate(loss, z, FisherEstimation.Sampled, new System.Random(1), recorder, retainGraph: false);
            foreach (var r in SpatialCorrelation.Measure(recorder.Captures, radius: 2)) Console.WriteLine(r);
            break;
        }
    }
}

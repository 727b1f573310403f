using System.CommandLine;
using Kfac.Data;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Examples.Tabular;

/// <summary>
/// The command line of the tabular example: an MLP classifier on a table of numbers (a CSV with a header row; one
/// column holds the class). The inputs are standardised with the training split's mean and standard deviation; a
/// seeded split holds out --test-fraction. Run it through <see cref="ExampleMain.Invoke"/>: a user error (a bad option,
/// a missing CSV or a bad cell, an unknown --label) is one line <c>error: ...</c> with exit code 2.
/// </summary>
public static class TabularCommand
{
    /// <summary>Builds the root command with its options and action.</summary>
    public static System.CommandLine.RootCommand Create()
    {
        var csvOption = new Option<string>("--csv") { Description = "the table (CSV with a header row)", Required = true };
        var labelOption = new Option<string?>("--label") { Description = "name of the class column (default: the last column)" };
        var hiddenOption = new Option<string>("--hidden") { Description = "hidden layer widths, comma-separated", DefaultValueFactory = _ => "64,64" };
        var activationOption = new Option<Activation>("--activation") { Description = "hidden activation: Tanh | Relu | Sigmoid", DefaultValueFactory = _ => Activation.Tanh };
        var testFractionOption = new Option<double>("--test-fraction") { Description = "fraction of the rows held out for testing", DefaultValueFactory = _ => 0.2 };
        var command = new ExampleCommand("MLP classifier on a CSV table", ExampleDefaults.Tabular);
        foreach (var o in new Option[] { csvOption, labelOption, hiddenOption, activationOption, testFractionOption }) command.Root.Add(o);
        command.Root.SetAction(parse =>
        {
            var s = command.Read(parse);
            double testFraction = parse.GetValue(testFractionOption);
            ExampleMain.Require(testFraction is > 0 and < 1, $"--test-fraction must be in (0, 1); got {testFraction}");
            if (s.Threads > 0) Kfac.Cpu.CpuParallel.MaxThreads = s.Threads;
            var (train, test) = TabularData.Load(parse.GetValue(csvOption)!, parse.GetValue(labelOption), testFraction, s.Seed);
            int[] hidden = parse.GetValue(hiddenOption)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(w => int.TryParse(w, out int n) && n > 0 ? n : throw new UsageException($"--hidden must be positive widths separated by commas; got '{parse.GetValue(hiddenOption)}'")).ToArray();
            var model = Mlp.Create([train.Inputs.Shape[1], .. hidden, train.ClassCount], parse.GetValue(activationOption), seed: s.Seed, device: s.ComputeDevice);
            var loss = new SoftmaxCrossEntropy();
            var step = Optimizers.Create(s, model, loss);
            using var loader = new DataLoader(train, Math.Min(s.BatchSize, train.Count), shuffle: true, seed: s.Seed, device: s.ComputeDevice);
            Console.WriteLine($"data: train {train}, test {test}; model: {model.ParameterCount()} parameters; optimizer {s.Optimizer}; batch {s.BatchSize}");
            var summary = ExampleRunner.Run(s, model, step, loader, b => SoftmaxOps.OneHot(b.Labels!, train.ClassCount, device: s.ComputeDevice),
                () => ClassifierEvaluation.Evaluate(model, loss, test));
            Console.WriteLine($"finished: {summary.Steps} steps, {summary.Seconds:F1} s training, train_loss {summary.LastTrainLoss:G4}, test_accuracy {summary.LastEvaluation?["test_accuracy"]:F4}");
            return 0;
        });
        return command.Root;
    }
}

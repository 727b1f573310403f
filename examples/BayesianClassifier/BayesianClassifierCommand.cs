using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Kfac.Plot;
using Kfac.Serialization;

namespace Kfac.Examples.BayesianClassifier;

/// <summary>
/// The command line of the Bayesian MLP classifier on Fashion-MNIST: noisy K-FAC (Zhang, Sun, Duvenaud and Grosse
/// 2018, matrix-variate Gaussian posterior) against K-FAC and Adam point estimates; test accuracy, test
/// log-likelihood (Monte Carlo predictive, log-mean-exp over samples) and the expected calibration error (15
/// equal-width confidence bins), with a reliability-diagram PNG. Run it through <see cref="ExampleMain.Invoke"/>: every
/// option is checked before any data is loaded, and a user error is one line <c>error: ...</c> with exit code 2.
/// </summary>
public static class BayesianClassifierCommand
{
    /// <summary>The methods --method accepts (besides "all"), in the order "all" runs them.</summary>
    public static readonly string[] Methods = ["noisy-kfac", "kfac", "adam"];

    /// <summary>Builds the root command with its options and action.</summary>
    public static RootCommand Create()
    {
        var data = new Option<string>("--data") { Description = "fashion-mnist (the IDX files; the embedded subset when absent) | embedded (6000 train / 1000 test)", DefaultValueFactory = _ => "fashion-mnist" };
        var dataDir = new Option<string?>("--data-dir") { Description = "directory of the Fashion-MNIST IDX files" };
        var method = new Option<string>("--method") { Description = "comma-separated: noisy-kfac, kfac, adam, or all", DefaultValueFactory = _ => "all" };
        var hidden = new Option<int>("--hidden") { Description = "hidden ReLU units (784-H-10)", DefaultValueFactory = _ => 100 };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 10 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 100 };
        var lr = new Option<double?>("--lr") { Description = "noisy K-FAC step alpha (default 0.01) and Adam's learning rate (default 1e-3); K-FAC adapts its own" };
        var klWeight = new Option<double>("--kl-weight") { Description = "lambda: the ELBO's KL weight (noisy K-FAC)", DefaultValueFactory = _ => 1 };
        var extDamping = new Option<double>("--ext-damping") { Description = "noisy K-FAC extrinsic damping gamma_ex (0.01: best of 1e-3, 0.01, 0.1 on the embedded subset)", DefaultValueFactory = _ => 1e-2 };
        var beta = new Option<double>("--beta") { Description = "noisy K-FAC statistics EMA weight (decay 1 - beta)", DefaultValueFactory = _ => 1e-2 };
        var inverseInterval = new Option<int>("--inverse-interval") { Description = "noisy K-FAC: inverses and sampling roots every T_inv steps", DefaultValueFactory = _ => 50 };
        var klClip = new Option<double>("--kl-clip") { Description = "noisy K-FAC: bound kappa on the mean update's Delta^T F Delta (KL clipping; 'Infinity' switches it off)", DefaultValueFactory = _ => Kfac.Bayes.NoisyKfac.DefaultKlClip };
        var testSamples = new Option<int>("--test-samples") { Description = "posterior samples for noisy K-FAC's test predictive", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for the kernels (0: all)", DefaultValueFactory = _ => 0 };
        var json = new Option<string?>("--json") { Description = "write the results here (a JSON array, one object per method, with the reliability bins)" };
        var plot = new Option<string?>("--plot") { Description = "reliability diagrams of the methods run, as a PNG" };
        var validation = new Option<double>("--validation") { Description = "hold out this fraction of the training set (stratified, the examples' fixed split) and evaluate on it instead of the test set: for tuning, so the test set is never consulted", DefaultValueFactory = _ => 0.0 };
        var root = new RootCommand("Bayesian MLP classifier (noisy K-FAC) vs K-FAC and Adam point estimates: accuracy, log-likelihood, calibration")
        {
            data, dataDir, method, hidden, epochs, batch, lr, klWeight, extDamping, beta, inverseInterval, klClip, testSamples, seed, threads, json, plot, validation,
        };
        root.SetAction(parse =>
        {
            string? plotPath = parse.GetValue(plot);
            var methods = ExampleMain.NamesFrom("--method", parse.GetValue(method)!, Methods);
            ExampleMain.RequirePositive("--hidden", parse.GetValue(hidden));
            ExampleMain.RequirePositive("--epochs", parse.GetValue(epochs));
            ExampleMain.RequirePositive("--batch-size", parse.GetValue(batch));
            ExampleMain.RequirePositive("--inverse-interval", parse.GetValue(inverseInterval));
            ExampleMain.Require(parse.GetValue(klClip) > 0, $"--kl-clip must be positive (Infinity: no clip); got {parse.GetValue(klClip)}");
            ExampleMain.RequirePositive("--test-samples", parse.GetValue(testSamples));
            ExampleMain.Require(parse.GetValue(threads) >= 0, $"--threads must be 0 (all cores) or a positive count; got {parse.GetValue(threads)}");
            ExampleMain.RequireFinitePositive("--lr", parse.GetValue(lr));
            ExampleMain.RequireFraction("--beta", parse.GetValue(beta));
            double kl = parse.GetValue(klWeight), gammaEx = parse.GetValue(extDamping);
            ExampleMain.Require(double.IsFinite(kl) && kl >= 0, $"--kl-weight must be a finite number >= 0; got {kl}");
            ExampleMain.Require(double.IsFinite(gammaEx) && gammaEx >= 0, $"--ext-damping must be a finite number >= 0; got {gammaEx}");
            string which = parse.GetValue(data)!;
            ExampleMain.Require(which is "fashion-mnist" or "embedded", $"--data must be fashion-mnist or embedded; got '{which}'");
            string? directory = parse.GetValue(dataDir);
            ExampleMain.Require(directory is null || Directory.Exists(directory), $"--data-dir {directory}: the directory does not exist");
            ExampleMain.RequirePngPath("--plot", plotPath);
            double holdOut = parse.GetValue(validation);
            ExampleMain.Require(holdOut is >= 0 and < 1, $"--validation must be in [0, 1) (0: evaluate on the test set); got {holdOut}");
            OptionRules.WritableFile("--json", parse.GetValue(json));
            if (parse.GetValue(threads) > 0) Kfac.Cpu.CpuParallel.MaxThreads = parse.GetValue(threads);
            if (which == "fashion-mnist" && !Kfac.Data.FashionMnist.IsAvailable(directory))
            {
                Console.WriteLine("Fashion-MNIST IDX files not found: using the embedded subset");
                which = "embedded";
            }
            var dataset = Datasets.Load(which, directory);
            if (holdOut > 0) dataset = Datasets.HoldOutValidation(dataset, holdOut);
            string set = holdOut > 0 ? "validation" : "test";
            var rows = new List<Dictionary<string, object>>();
            var diagrams = new List<(string, Kfac.Metrics.ReliabilityDiagram)>();
            foreach (var name in methods)
            {
                var o = new ClassifierOptions
                {
                    Method = name, Hidden = parse.GetValue(hidden), Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(lr), KlWeight = parse.GetValue(klWeight), ExtrinsicDamping = parse.GetValue(extDamping),
                    StatisticsBeta = parse.GetValue(beta), InverseInterval = parse.GetValue(inverseInterval), KlClip = parse.GetValue(klClip), TestSamples = parse.GetValue(testSamples),
                    Seed = parse.GetValue(seed),
                };
                var r = ClassifierRun.Run(dataset, o, Console.WriteLine);
                var p = r.Prediction;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-10} {set} accuracy {p.Accuracy:F4}  {set} LL {p.LogLikelihood:F4}  ECE {p.Calibration.ExpectedCalibrationError:F4}  mean confidence {p.Calibration.MeanConfidence:F4}  {r.TrainSeconds:F0} s ({r.TrainSeconds / r.Iterations * 1e3:F1} ms/iteration)"));
                if (r.AtMean is { } a)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-10} at the posterior mean: {set} accuracy {a.Accuracy:F4}  {set} LL {a.LogLikelihood:F4}  ECE {a.Calibration.ExpectedCalibrationError:F4}"));
                diagrams.Add((name, p.Calibration));
                rows.Add(new Dictionary<string, object>
                {
                    ["data"] = dataset.Source, ["method"] = name, ["hidden"] = o.Hidden, ["epochs"] = o.Epochs, ["batch_size"] = o.BatchSize,
                    ["seed"] = o.Seed, ["test_samples"] = name == "noisy-kfac" ? o.TestSamples : 1,
                    ["evaluated_on"] = set, ["validation_fraction"] = holdOut,
                    [$"{set}_accuracy"] = p.Accuracy, [$"{set}_log_likelihood"] = p.LogLikelihood,
                    ["ece"] = p.Calibration.ExpectedCalibrationError, ["mce"] = p.Calibration.MaximumCalibrationError,
                    ["mean_confidence"] = p.Calibration.MeanConfidence, ["train_seconds"] = r.TrainSeconds, ["iterations"] = r.Iterations,
                    ["skipped_steps"] = r.SkippedSteps,
                    ["at_mean"] = r.AtMean is { } am ? new Dictionary<string, double>
                    {
                        [$"{set}_accuracy"] = am.Accuracy, [$"{set}_log_likelihood"] = am.LogLikelihood, ["ece"] = am.Calibration.ExpectedCalibrationError,
                    } : "n/a",
                    ["bins"] = p.Calibration.Bins.Select(b => new Dictionary<string, object>
                    {
                        ["lower"] = b.Lower, ["upper"] = b.Upper, ["count"] = b.Count,
                        ["confidence"] = b.Count > 0 ? b.MeanConfidence : "n/a", ["accuracy"] = b.Count > 0 ? b.Accuracy : "n/a",
                    }).ToArray(),
                });
            }
            Console.WriteLine();
            Console.WriteLine($"{"method",-12} {"accuracy",9} {set + " LL",9} {"ECE",8}");
            foreach (var r in rows)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r["method"],-12} {(double)r[$"{set}_accuracy"],9:F4} {(double)r[$"{set}_log_likelihood"],9:F4} {(double)r["ece"],8:F4}"));
            if (parse.GetValue(json) is { } path)
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (plotPath is not null)
            {
                ReliabilityDiagramPlot.SavePng(plotPath, diagrams);
                Console.WriteLine($"plot: {plotPath}");
            }
            return 0;
        });
        return root;
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kfac.Serialization;

namespace Kfac.Examples.BayesianRegression;

/// <summary>
/// The command line of the Bayesian regression example (noisy natural gradient, Zhang, Sun, Duvenaud and Grosse 2018):
/// noisy K-FAC (NG-MVG), noisy Adam (NG-FFG), Bayes by Backprop and an Adam point estimate, with the authors' protocol
/// (random 90/10 splits, standardisation on the training split, 1 hidden layer of 50 ReLU units, batch 10, Gamma(6, 6)
/// noise prior) and the seed's table: test RMSE and test log-likelihood, mean +- standard error. Run it through
/// <see cref="ExampleMain.Invoke"/>: every option is checked before any data is loaded or any file written, and a
/// user error is one line <c>error: ...</c> with exit code 2.
/// </summary>
public static class BayesianRegressionCommand
{
    /// <summary>The methods --method accepts (besides "all"), in the order "all" runs them.</summary>
    public static readonly string[] Methods = ["bbb", "noisy-adam", "noisy-kfac", "adam"];

    /// <summary>Builds the root command with its options and action.</summary>
    public static RootCommand Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "boston | concrete (embedded) | path to a CSV (header row, target last)", DefaultValueFactory = _ => "boston" };
        var method = new Option<string>("--method") { Description = "comma-separated: noisy-kfac, noisy-adam, bbb, adam (point estimate), or all", DefaultValueFactory = _ => "all" };
        var splits = new Option<int>("--splits") { Description = "random 90/10 splits (with --split-protocol authors: training runs on the authors' one split)", DefaultValueFactory = _ => 20 };
        var splitProtocol = new Option<string>("--split-protocol") { Description = "random: a fresh 90/10 split per run (the issue's protocol) | authors: every run on the one split of the authors' code (NumPy RandomState(0), as in the talk's table), seeds differ per run", DefaultValueFactory = _ => "random" };
        var epochs = new Option<int>("--epochs") { Description = "training epochs per split (learning rates / 10 after half)", DefaultValueFactory = _ => 1000 };
        var particles = new Option<int>("--particles") { Description = "weight samples per training step", DefaultValueFactory = _ => 10 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 10 };
        var lr = new Option<double>("--lr") { Description = "step size alpha (all methods and the noise posterior)", DefaultValueFactory = _ => 0.01 };
        var extDamping = new Option<double>("--ext-damping") { Description = "extrinsic damping gamma_ex (noisy K-FAC, noisy Adam)", DefaultValueFactory = _ => 0 };
        var beta = new Option<double>("--beta") { Description = "noisy K-FAC statistics EMA weight beta (decay 1 - beta)", DefaultValueFactory = _ => 1e-3 };
        var inverseInterval = new Option<int>("--inverse-interval") { Description = "noisy K-FAC: refresh inverses and sampling square roots every T_inv steps", DefaultValueFactory = _ => 10 };
        var bbbSigma = new Option<double>("--bbb-sigma") { Description = "BBB initial standard deviation", DefaultValueFactory = _ => 1e-3 };
        var testSamples = new Option<int>("--test-samples") { Description = "posterior samples for the test predictions", DefaultValueFactory = _ => 100 };
        var miniBatchFisher = new Option<bool>("--minibatch-fisher") { Description = "noisy Adam: square of the mini-batch gradient instead of per-example squared gradients" };
        var bbbLocal = new Option<bool>("--bbb-local") { Description = "BBB: local reparameterisation (Kingma et al. 2015) instead of weight sampling" };
        var noiseLr = new Option<double?>("--noise-lr") { Description = "Adam step of the Gamma noise posterior, constant (the authors' code: 1e-3); default: --lr, decayed with it" };
        var identityFactors = new Option<bool>("--identity-factors") { Description = "noisy K-FAC: factors start at I with a plain EMA (the authors' code)" };
        var posteriorDamping = new Option<string>("--posterior-damping") { Description = "noisy K-FAC: factored (the paper's (A + pi sqrt(g) I)^-1 (x) (S + sqrt(g)/pi I)^-1) | eigenbasis ((A (x) S + g I)^-1 exactly; wider, higher ELBO, worse test RMSE and LL), g = gamma_in", DefaultValueFactory = _ => "factored" };
        var klClip = new Option<double>("--kl-clip") { Description = "noisy K-FAC: bound kappa on the mean update's Delta^T F Delta (KL clipping; 'Infinity' switches it off)", DefaultValueFactory = _ => Kfac.Bayes.NoisyKfac.DefaultKlClip };
        var decayBeta = new Option<bool>("--decay-beta") { Description = "noisy K-FAC: beta / 10 with the rates at half time (the authors' code)" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var parallelSplitsOption = new Option<int?>("--parallel-splits") { Description = "splits trained at once, each on one thread [default: the cores / --threads]" };
        var threads = new Option<int>("--threads") { Description = "CPU threads for the kernels (the network is tiny: 1 is fastest)", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "write the table here (a JSON array, one object per method)" };
        var elboLogOption = new Option<string?>("--elbo-log") { Description = "JSON lines: the ELBO estimate per epoch of split 0, per method" };
        var splitSeedOption = new Option<long>("--split-seed") { Description = "with --split-protocol authors: the NumPy RandomState seed of the split (0: pomonam/NoisyNaturalGradient's loader; 1234: ZhuSuan's UCI examples, which that loader copies)", DefaultValueFactory = _ => 0 };
        var testLogOption = new Option<string?>("--test-log") { Description = "JSON lines: test RMSE and log-likelihood every --test-every epochs, every split and method (the test learning curve)" };
        var testEveryOption = new Option<int>("--test-every") { Description = "epochs between --test-log evaluations", DefaultValueFactory = _ => 10 };
        var plot = new Option<string?>("--plot") { Description = "PNG: the ELBO (and its two terms) against iterations for the methods run, split 0" };
        var plotFrom = new Option<string[]>("--plot-from") { Description = "with --plot: draw from these --elbo-log files instead of training", AllowMultipleArgumentsPerToken = true };
        var root = new RootCommand("Bayesian neural-network regression by noisy natural gradient on UCI data")
        {
            dataset, method, splits, epochs, particles, batch, lr, extDamping, beta, inverseInterval, bbbSigma, testSamples, miniBatchFisher, seed, threads, json, elboLogOption,
            plot, plotFrom, bbbLocal, noiseLr, identityFactors, decayBeta, klClip, posteriorDamping, parallelSplitsOption, splitProtocol, splitSeedOption, testLogOption, testEveryOption,
        };
        root.SetAction(parse =>
        {
            string? plotPath = parse.GetValue(plot);
            ExampleMain.RequirePngPath("--plot", plotPath);
            if (parse.GetValue(plotFrom) is { Length: > 0 } logs)
            {
                ExampleMain.Require(plotPath is not null, "--plot-from needs --plot FILE.png");
                Kfac.Plot.ElboPlot.SavePng(plotPath!, logs.SelectMany(Kfac.Plot.ElboPlot.ReadJsonLines).ToList());
                Console.WriteLine($"plot: {plotPath} (from {string.Join(", ", logs)})");
                return 0;
            }
            var methods = ExampleMain.NamesFrom("--method", parse.GetValue(method)!, Methods);
            int nSplits = parse.GetValue(splits);
            ExampleMain.RequirePositive("--splits", nSplits);
            ExampleMain.RequirePositive("--epochs", parse.GetValue(epochs));
            ExampleMain.RequirePositive("--particles", parse.GetValue(particles));
            ExampleMain.Require(parse.GetValue(klClip) > 0, $"--kl-clip must be positive (Infinity: no clip); got {parse.GetValue(klClip)}");
            ExampleMain.RequirePositive("--batch-size", parse.GetValue(batch));
            ExampleMain.RequirePositive("--inverse-interval", parse.GetValue(inverseInterval));
            ExampleMain.RequirePositive("--test-samples", parse.GetValue(testSamples));
            ExampleMain.RequirePositive("--threads", parse.GetValue(threads));
            ExampleMain.RequireFinitePositive("--lr", parse.GetValue(lr));
            ExampleMain.RequireFinitePositive("--noise-lr", parse.GetValue(noiseLr));
            ExampleMain.RequireFinitePositive("--bbb-sigma", parse.GetValue(bbbSigma));
            ExampleMain.RequireFraction("--beta", parse.GetValue(beta));
            double gammaEx = parse.GetValue(extDamping);
            ExampleMain.Require(double.IsFinite(gammaEx) && gammaEx >= 0, $"--ext-damping must be a finite number >= 0; got {gammaEx}");
            string posteriorStyle = parse.GetValue(posteriorDamping)!;
            ExampleMain.Require(posteriorStyle is "factored" or "eigenbasis", $"--posterior-damping must be factored or eigenbasis; got '{posteriorStyle}'");
            string protocol = parse.GetValue(splitProtocol)!;
            ExampleMain.Require(protocol is "random" or "authors", $"--split-protocol must be random or authors; got '{protocol}'");
            long splitSeed = parse.GetValue(splitSeedOption);
            ExampleMain.Require(splitSeed is >= 0 and <= uint.MaxValue, $"--split-seed must be in 0 .. 2^32 - 1 (NumPy's RandomState); got {splitSeed}");
            ExampleMain.Require(splitSeed == 0 || protocol == "authors", "--split-seed needs --split-protocol authors");
            OptionRules.WritableFile("--json", parse.GetValue(json));
            OptionRules.WritableFile("--elbo-log", parse.GetValue(elboLogOption));
            OptionRules.WritableFile("--test-log", parse.GetValue(testLogOption));
            int testEvery = parse.GetValue(testEveryOption);
            ExampleMain.RequirePositive("--test-every", testEvery);
            string? testLogPath = parse.GetValue(testLogOption);
            var testLines = new StringBuilder();
            Kfac.Cpu.CpuParallel.MaxThreads = parse.GetValue(threads);
            int parallelSplits = parse.GetValue(parallelSplitsOption) ?? Math.Max(1, Environment.ProcessorCount / parse.GetValue(threads));
            ExampleMain.RequirePositive("--parallel-splits", parallelSplits);
            var data = UciData.Load(parse.GetValue(dataset)!);
            string? elboPath = parse.GetValue(elboLogOption);
            var elboLines = new StringBuilder();
            var rows = new List<Dictionary<string, object?>>();
            var authorsSplit = protocol == "authors" ? data.MakeAuthorsSplit(splitSeed) : null;
            Console.WriteLine(authorsSplit is null
                ? $"{data.Name}: {data.Rows} rows, {data.Features} inputs; {nSplits} splits x {parse.GetValue(epochs)} epochs, batch {parse.GetValue(batch)}, {parse.GetValue(particles)} particles"
                : $"{data.Name}: {data.Rows} rows, {data.Features} inputs; {nSplits} runs on the authors' split (NumPy seed {splitSeed}; {authorsSplit.TrainY.Length} train, {authorsSplit.TestY.Length} test) x {parse.GetValue(epochs)} epochs, batch {parse.GetValue(batch)}, {parse.GetValue(particles)} particles");
            foreach (var method in methods)
            {
                // The label in the logs and the table: the eigenbasis posterior is a different posterior, so its own name.
                string name = method == "noisy-kfac" && posteriorStyle == "eigenbasis" ? "noisy-kfac-eigenbasis" : method;
                var o = new RunOptions
                {
                    Method = method,
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batch),
                    Particles = parse.GetValue(particles),
                    LearningRate = parse.GetValue(lr),
                    ExtrinsicDamping = parse.GetValue(extDamping),
                    StatisticsBeta = parse.GetValue(beta),
                    InverseInterval = parse.GetValue(inverseInterval),
                    BbbInitialSigma = parse.GetValue(bbbSigma),
                    TestSamples = parse.GetValue(testSamples),
                    MiniBatchFisher = parse.GetValue(miniBatchFisher),
                    BbbLocal = parse.GetValue(bbbLocal),
                    NoiseLearningRate = parse.GetValue(noiseLr),
                    IdentityFactors = parse.GetValue(identityFactors),
                    DecayBeta = parse.GetValue(decayBeta),
                    PosteriorDamping = posteriorStyle == "eigenbasis" ? Kfac.Bayes.PosteriorDamping.Eigenbasis : Kfac.Bayes.PosteriorDamping.Factored,
                    KlClip = parse.GetValue(klClip),
                    Seed = parse.GetValue(seed),
                };
                var rmse = new List<double>();
                var rmseAtMean = new List<double>();
                var llAtMean = new List<double>();
                var ll = new List<double>();
                var elbo = new List<double>();
                double seconds = 0;
                long iterations = 0;
                var wall = System.Diagnostics.Stopwatch.StartNew();
                // Splits are independent (each seeds its own split, network, optimizer and noise model; the kernels run on
                // the calling thread with --threads 1), so up to --parallel-splits of them train at once, one per core.
                // Every figure is the same as in a sequential run (bit for bit across processes; within one process the
                // first run differs in the last bits, see BayesianRegressionEntryTests); the per-split lines print in
                // completion order.
                var results = new RegressionRun.Result[nSplits];
                var printGate = new object();
                try
                {
                    Parallel.For(0, nSplits, new ParallelOptions { MaxDegreeOfParallelism = parallelSplits }, s =>
                    {
                        var split = authorsSplit ?? data.MakeSplit(o.Seed, s);
                        // Only split 0 logs its ELBO, so the log has one writer.
                        Action<int, long, Kfac.Bayes.ElboEstimate>? log = (elboPath is null && plotPath is null) || s != 0 || name == "adam" ? null : (epoch, it, e) =>
                            elboLines.AppendLine(string.Create(CultureInfo.InvariantCulture,
                                $"{{\"dataset\":\"{data.Name}\",\"method\":\"{name}\",\"split\":{s},\"epoch\":{epoch},\"iteration\":{it},\"elbo\":{e.Value:R},\"expected_log_likelihood\":{e.ExpectedLogLikelihood:R},\"kl_weights\":{e.WeightKl:R},\"kl_noise\":{e.NoiseKl:R}}}"));
                        Action<int, Kfac.Bayes.RegressionPrediction>? testLog = testLogPath is null ? null : (epoch, p) =>
                        {
                            lock (testLines)
                                testLines.AppendLine(string.Create(CultureInfo.InvariantCulture,
                                    $"{{\"dataset\":\"{data.Name}\",\"method\":\"{name}\",\"split\":{s},\"epoch\":{epoch},\"rmse\":{JsonLiteral(p.Rmse)},\"ll\":{JsonLiteral(p.LogLikelihood)}}}"));
                        };
                        var r = results[s] = RegressionRun.Run(split, o, s, log, testLog, testEvery);
                        lock (printGate)
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"  {name,-10} split {s,2}: test RMSE {r.Rmse:F3}  test LL {r.LogLikelihood:F3}{(double.IsNaN(r.RmseAtMean) ? "" : $"  (at the mean: {r.RmseAtMean:F3} / {r.LogLikelihoodAtMean:F3})")}  final ELBO {r.FinalElbo:F1}  {r.Seconds:F1} s ({r.Seconds / r.Iterations * 1e6:F0} us/iteration){(r.SkippedSteps > 0 ? $"  {r.SkippedSteps} of {r.Iterations} steps skipped (non-finite loss or gradient)" : "")}"));
                    });
                }
                catch (AggregateException e) when (e.InnerExceptions.Count > 0)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
                }
                foreach (var r in results)
                {
                    rmse.Add(r.Rmse);
                    rmseAtMean.Add(r.RmseAtMean);
                    llAtMean.Add(r.LogLikelihoodAtMean);
                    ll.Add(r.LogLikelihood);
                    elbo.Add(r.FinalElbo);
                    seconds += r.Seconds;
                    iterations += r.Iterations;
                }
                var (rm, rse) = MeanSe(rmse);
                var (lm, lse) = MeanSe(ll);
                double total = wall.Elapsed.TotalSeconds;
                rows.Add(new Dictionary<string, object?>
                {
                    ["dataset"] = data.Name, ["method"] = name, ["splits"] = nSplits, ["split_protocol"] = protocol, ["split_seed"] = authorsSplit is null ? null : splitSeed, ["epochs"] = o.Epochs, ["particles"] = name == "adam" ? 1 : o.Particles,
                    ["rmse_mean"] = JsonNumber(rm), ["rmse_se"] = JsonNumber(rse), ["ll_mean"] = JsonNumber(lm), ["ll_se"] = JsonNumber(lse),
                    ["final_elbo_mean"] = name == "adam" ? "n/a" : JsonNumber(elbo.Average()), ["seconds"] = total, ["train_seconds"] = seconds, ["parallel_splits"] = Math.Min(parallelSplits, nSplits),
                    ["us_per_iteration"] = seconds / iterations * 1e6,
                    ["rmse_at_mean_mean"] = JsonNumber(rmseAtMean.Average()), ["ll_at_mean_mean"] = JsonNumber(llAtMean.Average()), ["rmse"] = rmse.Select(JsonNumber).ToList(), ["ll"] = ll.Select(JsonNumber).ToList(),
                });
            }
            Console.WriteLine();
            Console.WriteLine($"{"method",-12} {"test RMSE",-18} {"test LL",-18} {"seconds",8}");
            foreach (var r in rows)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r["method"],-12} {Shown(r["rmse_mean"]),7} +- {Shown(r["rmse_se"]),-6} {Shown(r["ll_mean"]),7} +- {Shown(r["ll_se"]),-6} {(double)r["seconds"]!,8:F1}"));
            if (parse.GetValue(json) is { } path)
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (elboPath is not null) AtomicFile.WriteAllText(elboPath, elboLines.ToString());
            if (testLogPath is not null) AtomicFile.WriteAllText(testLogPath, testLines.ToString());
            if (plotPath is not null)
            {
                var points = elboLines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Kfac.Plot.ElboPlot.Parse(l)).ToList();
                if (points.Count == 0) Console.WriteLine("plot: nothing to draw (the adam point estimate has no ELBO)");
                else
                {
                    Kfac.Plot.ElboPlot.SavePng(plotPath, points);
                    Console.WriteLine($"plot: {plotPath}");
                }
            }
            return 0;
        });

        return root;
    }

    /// <summary>JSON has no NaN or infinity: a diverged split's figure, or the standard error of a single split, is
    /// written as null.</summary>
    private static object? JsonNumber(double x) => double.IsFinite(x) ? x : null;

    /// <summary>A number in a JSON line: round-trip digits, or null where it is not finite (a diverged run).</summary>
    private static string JsonLiteral(double x) => double.IsFinite(x) ? x.ToString("R", CultureInfo.InvariantCulture) : "null";

    /// <summary>A table cell: the number to 3 decimals, or "-" where <see cref="JsonNumber"/> gave null.</summary>
    private static string Shown(object? x) => x is double d ? d.ToString("F3", CultureInfo.InvariantCulture) : "-";

    private static (double Mean, double Se) MeanSe(List<double> x)
    {
        double mean = x.Average();
        if (x.Count < 2) return (mean, double.NaN);
        double v = x.Sum(a => (a - mean) * (a - mean)) / (x.Count - 1);
        return (mean, Math.Sqrt(v / x.Count));
    }
}

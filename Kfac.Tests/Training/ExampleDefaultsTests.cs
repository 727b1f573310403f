using System.CommandLine;
using Kfac.Distributed;
using Kfac.Examples;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Training;
using Kfac.Training.Distributed;
using NUnit.Framework;

namespace Kfac.Tests.Training;

/// <summary>
/// What each example trains with when no flag is given: the optimizer's options record as the step built by the
/// examples' code path (<see cref="ExampleCommand"/> -> <see cref="Optimizers.Create"/> -> <see cref="TrainingSteps.Create"/>)
/// holds it, and the batch size, pinned field by field (records compare every field), so that moving a default
/// cannot change an example's training silently. The expected values are the examples' measured defaults
/// (docs/BENCHMARKS.md), written out here independently of <see cref="ExampleDefaults"/>.
/// </summary>
public class ExampleDefaultsTests
{
    private static readonly KfacOptions KfacSeeded = new() { Seed = 1 }; // --seed 0 gives K-FAC seed 1

    private static IEnumerable<TestCaseData> Pinned()
    {
        object[][] rows =
        [
            // ConvNet: first-order at batch 128, momentum SGD lr 0.03, Adam 1e-3; KFC at batch 256, stats/quad 1/4, lambda0 1 >= 0.01.
            ["ConvNet", "sgd", 128, new SgdOptions { LearningRate = 0.03 }],
            ["ConvNet", "momentum", 128, new SgdOptions { LearningRate = 0.03, Momentum = 0.9 }],
            ["ConvNet", "nesterov", 128, new SgdOptions { LearningRate = 0.03, Momentum = 0.9, Nesterov = true }],
            ["ConvNet", "adam", 128, new AdamOptions { LearningRate = 1e-3 }],
            ["ConvNet", "kfac", 256, KfacSeeded with { InitialLambda = 1, StatisticsFraction = 0.25, QuadraticModelFraction = 0.25, MinLambda = 0.01, GammaRule = GammaRule.Search, ImplausibleStep = ImplausibleStepRule.Shrink }],
            // Autoencoder: batch 1000, momentum SGD lr 0.01, Adam 1e-3, K-FAC stats/quad 1/8, inverses every 10, lambda0 0.15.
            ["Autoencoder", "sgd", 1000, new SgdOptions { LearningRate = 0.01 }],
            ["Autoencoder", "momentum", 1000, new SgdOptions { LearningRate = 0.01, Momentum = 0.9 }],
            ["Autoencoder", "adam", 1000, new AdamOptions { LearningRate = 1e-3 }],
            ["Autoencoder", "kfac", 1000, KfacSeeded with { InitialLambda = 0.15, StatisticsFraction = 0.125, QuadraticModelFraction = 0.125, RhoFraction = 0.125, InverseInterval = 10 }],
            // Classifier: first-order at batch 100 (SGD 0.05, Adam 1e-3); K-FAC at batch 200, lambda0 1, T3 = 5.
            ["Classifier", "sgd", 100, new SgdOptions { LearningRate = 0.05 }],
            ["Classifier", "momentum", 100, new SgdOptions { LearningRate = 0.05, Momentum = 0.9 }],
            ["Classifier", "adam", 100, new AdamOptions { LearningRate = 1e-3 }],
            ["Classifier", "kfac", 200, KfacSeeded with { InitialLambda = 1, InverseInterval = 5 }],
            // Tabular: batch 128, SGD 0.05, Adam 1e-3, K-FAC lambda0 1.
            ["Tabular", "momentum", 128, new SgdOptions { LearningRate = 0.05, Momentum = 0.9 }],
            ["Tabular", "adam", 128, new AdamOptions { LearningRate = 1e-3 }],
            ["Tabular", "kfac", 128, KfacSeeded with { InitialLambda = 1 }],
        ];
        foreach (var r in rows) yield return new TestCaseData(r).SetArgDisplayNames((string)r[0], (string)r[1]);
    }

    private static ExampleDefaults Of(string example) => example switch
    {
        "ConvNet" => ExampleDefaults.ConvNet,
        "Autoencoder" => ExampleDefaults.Autoencoder,
        "Classifier" => ExampleDefaults.Classifier,
        "Tabular" => ExampleDefaults.Tabular,
        _ => throw new ArgumentException(example),
    };

    private static RunSettings Read(string example, params string[] args)
    {
        var command = new ExampleCommand(example, Of(example));
        var parse = command.Root.Parse(args);
        Assert.That(parse.Errors, Is.Empty, string.Join(" ", args));
        return command.Read(parse);
    }

    /// <summary>The options record the step was built with.</summary>
    private static object BuiltOptions(ITrainingStep step) => step switch
    {
        KfacStep k => k.Optimizer.Options,
        FirstOrderStep { Optimizer: Sgd sgd } => sgd.Defaults,
        FirstOrderStep { Optimizer: Adam adam } => adam.Defaults,
        _ => throw new ArgumentException(step.GetType().Name),
    };

    [TestCaseSource(nameof(Pinned))]
    public void WithNoFlagsTheExampleBuildsItsMeasuredDefaults(string example, string optimizer, int batch, object expected)
    {
        var s = Read(example, "--optimizer", optimizer);
        var step = Optimizers.Create(s, Mlp.Create([4, 5, 3], seed: 0), new SoftmaxCrossEntropy());
        Assert.That(step.OptimizerName, Is.EqualTo(optimizer));
        Assert.That(BuiltOptions(step), Is.EqualTo(expected), $"{example} --optimizer {optimizer}");
        Assert.That(s.BatchSize, Is.EqualTo(batch), $"{example} --optimizer {optimizer}: batch size");
        Assert.That(s.ComputeDevice, Is.SameAs(Kfac.Tensors.Device.Cpu));
    }

    [TestCase("1000", 0.125)]           // 125 rows: an eighth of the default batch, nothing changes
    [TestCase("500", 0.25)]             // 125 rows, not 62 (stop 38: 62 rows blew up)
    [TestCase("250", 0.5)]
    [TestCase("100", 1.0)]              // the whole of a batch below 125
    [TestCase("4000", 0.03125)]         // 125 rows, not 500
    [TestCase("16000", 125.0 / 16000)]
    public void TheAutoencodersCurvatureTakes125Rows(string batch, double expectedFraction)
    {
        var k = Read("Autoencoder", "--batch-size", batch).Choice.Kfac;
        Assert.That((k.StatisticsFraction, k.QuadraticModelFraction, k.RhoFraction), Is.EqualTo((expectedFraction, expectedFraction, expectedFraction)));
        Assert.That(KfacStepPlan.RowsFor(k.StatisticsFraction, int.Parse(batch)), Is.EqualTo(Math.Min(125, int.Parse(batch))));
    }

    /// <summary>0 removes the floor (--curvature-rows-min) or the cap (--curvature-rows-max); both apply to given
    /// fractions too; the other examples have neither; negative or contradictory bounds are refused.</summary>
    [Test]
    public void CurvatureRowBoundsOfZeroRemoveThemAndBadBoundsAreRefused()
    {
        var noFloor = Read("Autoencoder", "--batch-size", "500", "--curvature-rows-min", "0").Choice.Kfac;
        Assert.That((noFloor.StatisticsFraction, noFloor.QuadraticModelFraction, noFloor.RhoFraction), Is.EqualTo((0.125, 0.125, 0.125)));
        var noCap = Read("Autoencoder", "--batch-size", "4000", "--curvature-rows-max", "0").Choice.Kfac;
        Assert.That((noCap.StatisticsFraction, noCap.QuadraticModelFraction, noCap.RhoFraction), Is.EqualTo((0.125, 0.125, 0.125)));
        var own = Read("Autoencoder", "--batch-size", "4000", "--curvature-rows-max", "1000").Choice.Kfac;
        Assert.That(own.StatisticsFraction, Is.EqualTo(0.125), "a cap above the fraction's rows changes nothing");
        Assert.That(Read("Autoencoder", "--batch-size", "1000", "--quad-fraction", "0.0625").Choice.Kfac.QuadraticModelFraction,
            Is.EqualTo(0.125), "the floor applies to given fractions too");
        Assert.That(Read("Autoencoder", "--batch-size", "4000", "--stats-fraction", "0.5").Choice.Kfac.StatisticsFraction,
            Is.EqualTo(0.03125), "the cap applies to given fractions too");
        Assert.That(Read("ConvNet", "--batch-size", "4096").Choice.Kfac.StatisticsFraction, Is.EqualTo(0.25));
        Assert.That(Read("ConvNet", "--batch-size", "256").Choice.Kfac.StatisticsFraction, Is.EqualTo(0.25));
        var command = new ExampleCommand("Autoencoder", ExampleDefaults.Autoencoder);
        foreach (var (args, message) in new[]
        {
            (new[] { "--curvature-rows-min", "-1" }, "--curvature-rows-min must be >= 0"),
            (new[] { "--curvature-rows-max", "-1" }, "--curvature-rows-max must be >= 0"),
            (new[] { "--curvature-rows-min", "200", "--curvature-rows-max", "100" }, "must not exceed --curvature-rows-max"),
        })
            Assert.That(() => command.Read(command.Root.Parse(args)), Throws.InstanceOf<UsageException>().With.Message.Contains(message));
    }

    [TestCase("ConvNet")]
    [TestCase("Classifier")]
    public void WithoutOptimizerFlagTheExampleTrainsKfac(string example) => Assert.That(Read(example).Optimizer, Is.EqualTo("kfac"));

    [TestCase("--lambda=5")]
    [TestCase("--lambda", "5")]
    public void LambdaTakesEffectInEitherSpelling(params string[] flag)
    {
        // ConvNet's own lambda0 is 1: the flag replaces exactly that field, every other default stays.
        var s = Read("ConvNet", flag);
        Assert.That(s.Choice.Kfac, Is.EqualTo(KfacSeeded with { InitialLambda = 5, StatisticsFraction = 0.25, QuadraticModelFraction = 0.25, MinLambda = 0.01, GammaRule = GammaRule.Search, ImplausibleStep = ImplausibleStepRule.Shrink }));
    }

    [Test]
    public void LrAndMomentumReachEveryOptimizersRecord()
    {
        var s = Read("Autoencoder", "--lr=0.2", "--momentum", "0.5", "--seed", "4");
        Assert.That(s.Choice.Sgd, Is.EqualTo(new SgdOptions { LearningRate = 0.2, Momentum = 0.5 }));
        Assert.That(s.Choice.Adam, Is.EqualTo(new AdamOptions { LearningRate = 0.2 }));
        Assert.That(s.Choice.Kfac, Is.EqualTo(new KfacOptions { InitialLambda = 0.15, LearningRate = 0.2, Momentum = 0.5, Seed = 5, StatisticsFraction = 0.125, QuadraticModelFraction = 0.125, RhoFraction = 0.125, InverseInterval = 10 }));
        Assert.That(s.LearningRate, Is.EqualTo(0.2), "kept for --resume");
    }

    [TestCase("ConvNet")]
    [TestCase("Autoencoder")]
    [TestCase("Classifier")]
    [TestCase("Tabular")]
    public void WithNoFlagsDistributedKfacAndStalenessAreTheLibrarysDefaults(string example)
    {
        var s = Read(example);
        Assert.That(s.DistributedKfac, Is.EqualTo(new DistributedKfacOptions()));
        Assert.That(s.Choice.Kfac.InverseStaleness, Is.EqualTo(new KfacOptions().InverseStaleness));
    }

    [TestCase("eager", StatisticsReduction.Eager)]
    [TestCase("lazy", StatisticsReduction.Lazy)]
    [TestCase("Lazy", StatisticsReduction.Lazy)]
    public void StatsReductionSetsExactlyThatField(string text, StatisticsReduction expected) =>
        Assert.That(Read("Autoencoder", "--stats-reduction", text).DistributedKfac, Is.EqualTo(new DistributedKfacOptions { Statistics = expected }));

    [TestCase("replicated", InversePlacement.Replicated)]
    [TestCase("inverses", InversePlacement.BroadcastInverses)]
    [TestCase("directions", InversePlacement.BroadcastDirections)]
    public void InversePlacementSetsExactlyThatField(string text, InversePlacement expected) =>
        Assert.That(Read("Autoencoder", $"--inverse-placement={text}").DistributedKfac, Is.EqualTo(new DistributedKfacOptions { Inverses = expected }));

    [Test]
    public void InverseStalenessSetsExactlyThatFieldInOneProcessToo()
    {
        var s = Read("Classifier", "--inverse-staleness", "4");
        Assert.That(s.Choice.Kfac, Is.EqualTo(KfacSeeded with { InitialLambda = 1, InverseInterval = 5, InverseStaleness = 4 }));
        var step = Optimizers.Create(s, Mlp.Create([4, 5, 3], seed: 0), new SoftmaxCrossEntropy());
        Assert.That(((KfacStep)step).Optimizer.Options.InverseStaleness, Is.EqualTo(4));
    }

    [Test]
    public void DistributedFlagsReachTheDistributedKfacStep()
    {
        var s = Read("Autoencoder", "--stats-reduction", "lazy", "--inverse-placement", "inverses", "--inverse-staleness", "1", "--inverse-interval", "3");
        var step = Optimizers.Create(s, Mlp.Create([4, 5, 3], seed: 0), new SoftmaxCrossEntropy(), SingleProcessCommunicator.Instance);
        var kfac = ((DistributedKfacStep)step).Optimizer;
        Assert.That(kfac.DistributedOptions, Is.EqualTo(new DistributedKfacOptions { Statistics = StatisticsReduction.Lazy, Inverses = InversePlacement.BroadcastInverses }));
        Assert.That((kfac.Options.InverseStaleness, kfac.Options.InverseInterval), Is.EqualTo((1, 3)));
    }

    [Test]
    public void HelpShowsTheDefaultsFromTheRecords()
    {
        var command = new ExampleCommand("ConvNet", ExampleDefaults.ConvNet);
        var output = new StringWriter();
        int code = command.Root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = output });
        string help = output.ToString();
        Assert.That(code, Is.EqualTo(0));
        Assert.That(help, Does.Contain("[default: 256 for kfac, 128 otherwise]"));
        Assert.That(help, Does.Contain("[default: 0.03 for sgd, momentum and nesterov, 0.001 for adam, 0.25 for kfac"));
        Assert.That(help, Does.Contain("[default: 0.9]"), "momentum");
        Assert.That(System.Text.RegularExpressions.Regex.IsMatch(help, @"--min-lambda <min-lambda>\s+K-FAC: lower bound on the Levenberg-Marquardt damping \[default: 0\.01\]"), help);
        var library = new DistributedKfacOptions();
        string flat = System.Text.RegularExpressions.Regex.Replace(help, @"\s+", " "); // long descriptions wrap
        Assert.That(System.Text.RegularExpressions.Regex.IsMatch(flat, @"--stats-fraction <stats-fraction> K-FAC: fraction of the batch for curvature statistics \(raised to --curvature-rows-min rows, lowered to --curvature-rows-max\) \[default: 0\.25\]"), help);
        Assert.That(System.Text.RegularExpressions.Regex.IsMatch(flat, @"--curvature-rows-max <curvature-rows-max> K-FAC: at most [^[]*\[default: 0\]"), help);
        Assert.That(System.Text.RegularExpressions.Regex.IsMatch(flat, @"--curvature-rows-min <curvature-rows-min> K-FAC: at least [^[]*\[default: 0\]"), help);
        Assert.That(System.Text.RegularExpressions.Regex.IsMatch(flat, $@"--stats-reduction <stats-reduction> K-FAC with --distributed mpi: eager [^[]*no effect in one process \[default: {DistributedKfacFlags.Name(library.Statistics)}\]"), help);
        Assert.That(System.Text.RegularExpressions.Regex.IsMatch(flat, $@"--inverse-placement <inverse-placement> K-FAC with --distributed mpi: replicated [^[]*no effect in one process \[default: {DistributedKfacFlags.Name(library.Inverses)}\]"), help);
        Assert.That(System.Text.RegularExpressions.Regex.IsMatch(flat, $@"--inverse-staleness <inverse-staleness> K-FAC: [^[]*\[default: {new KfacOptions().InverseStaleness}\]"), help);
    }
}

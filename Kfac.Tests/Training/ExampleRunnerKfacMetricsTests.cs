using System.Text.Json;
using Kfac.Data;
using Kfac.Distributed;
using Kfac.Examples;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tests.Reliability;
using Kfac.Training;
using Kfac.Training.Distributed;
using NUnit.Framework;

namespace Kfac.Tests.Training;

/// <summary>
/// The examples' runner logs K-FAC's state (lambda, gamma, alpha, mu, rejections) for every K-FAC step, the
/// distributed one included: it reads them through <see cref="IKfacTrainingStep"/>, not from <see cref="KfacStep"/>
/// only. The distributed step runs on the single-process communicator, which is what the runner's own
/// communicator is without --distributed mpi.
/// </summary>
[NonParallelizable]
public class ExampleRunnerKfacMetricsTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void TheLogCarriesLambdaAndGammaOfTheStepsLastResult(bool distributed)
    {
        using var dir = ReliabilityFixture.TempDir();
        string log = dir.File("log.jsonl");
        var command = new ExampleCommand("test", defaultBatch: ReliabilityFixture.BatchSize);
        var s = command.Read(command.Root.Parse(["--optimizer", "kfac", "--steps", "3", "--eval-every-steps", "1", "--log", log, "--inverse-interval", "2"]));
        var model = ReliabilityFixture.Model(seed: 0);
        var step = Optimizers.Create(s, model, new SoftmaxCrossEntropy(), distributed ? SingleProcessCommunicator.Instance : null);
        Assert.That(step, distributed ? Is.TypeOf<DistributedKfacStep>() : Is.TypeOf<KfacStep>());
        var (x, labels) = ReliabilityFixture.TinyData();
        using var loader = new DataLoader(new LabeledData(x, labels, 2), s.BatchSize, shuffle: true, seed: s.Seed, dropLast: true);

        ExampleRunner.Run(s, model, step, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), () => new Dictionary<string, double> { ["score"] = 1 });

        var last = ((IKfacTrainingStep)step).Last!;
        var records = File.ReadAllLines(log).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var final = records.Last(r => r.TryGetProperty("lambda", out _));
        Assert.That(final.GetProperty("lambda").GetDouble(), Is.EqualTo(last.Lambda));
        Assert.That(final.GetProperty("gamma").GetDouble(), Is.EqualTo(last.Gamma));
        Assert.That(records.Count(r => r.TryGetProperty("gamma", out _)), Is.GreaterThanOrEqualTo(3), "every evaluation of the 3 steps");
    }
}

using System.Text.Json;
using Kfac.Data;
using Kfac.Distributed;
using Kfac.Examples;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
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

    /// <summary>rho is measured every LambdaInterval steps (NaN on the others): the log carries the latest measured
    /// value, so after the first measurement every record has a finite rho, equal to the last step's that had one.</summary>
    [Test]
    public void TheLogCarriesTheLatestMeasuredRho()
    {
        using var dir = ReliabilityFixture.TempDir();
        string log = dir.File("log.jsonl");
        var command = new ExampleCommand("test", defaultBatch: ReliabilityFixture.BatchSize);
        var s = command.Read(command.Root.Parse(["--optimizer", "kfac", "--steps", "7", "--eval-every-steps", "1", "--log", log]));
        var model = ReliabilityFixture.Model(seed: 0);
        var step = (KfacStep)Optimizers.Create(s, model, new SoftmaxCrossEntropy(), null);
        var (x, labels) = ReliabilityFixture.TinyData();
        using var loader = new DataLoader(new LabeledData(x, labels, 2), s.BatchSize, shuffle: true, seed: s.Seed, dropLast: true);
        var measured = new List<(long Step, double Rho)>();
        long n = 0;
        var observed = new ObservingStep(step, r => { n++; if (double.IsFinite(r.Rho)) measured.Add((n, r.Rho)); });

        ExampleRunner.Run(s, model, observed, loader, b => SoftmaxOps.OneHot(b.Labels!, 2), () => new Dictionary<string, double> { ["score"] = 1 });

        Assert.That(measured, Is.Not.Empty, "some step of the 7 measures rho");
        var records = File.ReadAllLines(log).Select(line => JsonDocument.Parse(line).RootElement).Where(r => r.TryGetProperty("rho", out _)).ToList();
        foreach (var r in records)
        {
            long at = r.GetProperty("step").GetInt64();
            var latest = measured.Where(m => m.Step <= at).ToList();
            var rho = r.GetProperty("rho");
            if (latest.Count == 0) Assert.That(rho.ValueKind == JsonValueKind.Null || (rho.ValueKind == JsonValueKind.Number && double.IsNaN(rho.GetDouble())) || rho.ValueKind == JsonValueKind.String, $"step {at}: no rho measured yet");
            else Assert.That(rho.GetDouble(), Is.EqualTo(latest[^1].Rho), $"step {at}");
        }
        Assert.That(records.Count(r => r.GetProperty("rho").ValueKind == JsonValueKind.Number), Is.GreaterThan(measured.Count), "steps between measurements carry the latest one");
    }

    /// <summary>A K-FAC step that reports each step's result to a callback (to see the rho of every step).</summary>
    private sealed class ObservingStep(KfacStep inner, Action<KfacStepResult> observe) : IKfacTrainingStep
    {
        public string OptimizerName => inner.OptimizerName;

        public KfacOptimizer Optimizer => inner.Optimizer;

        public KfacStepResult? Last => inner.Last;

        public double? LearningRate => inner.LearningRate;

        public double Step(Tensor inputs, Tensor targets)
        {
            double loss = inner.Step(inputs, targets);
            observe(inner.Last!);
            return loss;
        }

        public OptimizerStateDict ExportState() => inner.ExportState();

        public void ImportState(OptimizerStateDict state) => inner.ImportState(state);

        public void SetLearningRate(double learningRate) => inner.SetLearningRate(learningRate);
    }
}

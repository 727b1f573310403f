using Kfac.Examples;
using NUnit.Framework;

namespace Kfac.Tests.Reliability;

/// <summary>The examples' --validation split: a fixed, stratified hold-out of the training set that replaces the test
/// set for tuning, so no tuning run ever reads the test examples.</summary>
public class ValidationSplitTests
{
    [Test]
    public void TheHoldOutIsAFixedStratifiedPartOfTheTrainingSetAndTheTestSetIsNotUsed()
    {
        var settings = new RunSettings { Data = "embedded", ValidationFraction = 0.1 };
        var full = Datasets.Load("embedded", null);
        var a = Datasets.LoadForRun(settings);
        var b = Datasets.LoadForRun(settings with { Seed = 7, Choice = new Kfac.Training.OptimizerChoice { Name = "adam" } });
        Assert.That(a.Train.Count + a.Test.Count, Is.EqualTo(full.Train.Count));
        Assert.That(a.Test.Count, Is.EqualTo(full.Train.Count / 10).Within(full.ClassCount));
        // Every class keeps its share (stratified), and the split does not depend on the run's seed or optimizer.
        var perClass = a.Test.CountPerClass();
        var trainPerClass = full.Train.CountPerClass();
        for (int c = 0; c < full.ClassCount; c++)
            Assert.That(perClass[c], Is.EqualTo(Math.Round(0.1 * trainPerClass[c])).Within(0.5), $"class {c}");
        Assert.That(b.Test.Inputs.ToArray<float>(), Is.EqualTo(a.Test.Inputs.ToArray<float>()));
        // The held-out examples are training examples, none of them a test example's image (row by row).
        var train = RowSet(full.Train.Inputs.ToArray<float>(), 784);
        var test = RowSet(full.Test.Inputs.ToArray<float>(), 784);
        foreach (var row in RowSet(a.Test.Inputs.ToArray<float>(), 784))
        {
            Assert.That(train.Contains(row), Is.True);
            Assert.That(test.Contains(row), Is.False);
        }
    }

    [Test]
    public void WithoutAHoldOutTheRunEvaluatesOnTheTestSetUnderTestNames()
    {
        var none = new RunSettings { Data = "embedded" };
        Assert.That(Datasets.LoadForRun(none).Test.Count, Is.EqualTo(Datasets.Load("embedded", null).Test.Count));
        var metrics = new Dictionary<string, double> { ["test_accuracy"] = 0.9, ["lambda"] = 1 };
        Assert.That(Datasets.Relabel(none, metrics).Keys, Is.EquivalentTo(new[] { "test_accuracy", "lambda" }));
        Assert.That(Datasets.Relabel(none with { ValidationFraction = 0.1 }, metrics).Keys, Is.EquivalentTo(new[] { "validation_accuracy", "lambda" }));
        Assert.That(Datasets.EvaluationSet(none with { ValidationFraction = 0.1 }), Is.EqualTo("validation"));
    }

    private static HashSet<string> RowSet(float[] x, int width)
    {
        var set = new HashSet<string>();
        for (int i = 0; i + width <= x.Length; i += width) set.Add(Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan(i, width))));
        return set;
    }
}

using Kfac.Autodiff;
using Kfac.Data;
using Kfac.Layers;
using Kfac.Metrics;
using Kfac.Tensors;
using Kfac.Tests.Data;
using NUnit.Framework;

namespace Kfac.Tests.Library;

/// <summary>Predict, accuracy, confusion matrix and weight files, each checked against a direct computation.</summary>
public class InferenceTests
{
    private static Sequential NetWithBatchNorm() =>
        new(new Dense(4, 6, rng: new System.Random(1)), new BatchNorm(6), new Tanh(), new Dense(6, 3, rng: new System.Random(2)));

    [Test]
    public void PredictEqualsOneEvalForwardInAnyBatchSize()
    {
        var net = NetWithBatchNorm();
        using var x = Tensor.RandN(new Shape(10, 4), new System.Random(3));
        net.Train();
        using (var s = TensorScope.Begin()) net.Forward(x); // move the running statistics
        var mean = ((BatchNorm)net[1]).RunningMean.ToArray<float>();
        double[] expected;
        net.Eval();
        using (GradMode.Disable()) expected = net.Forward(x).ToDoubleArray();
        net.Train();
        foreach (int batch in new[] { 1, 3, 10, 64 })
        {
            using var y = net.Predict(x, batch);
            Assert.That(y.Shape, Is.EqualTo(new Shape(10, 3)));
            Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-6), $"batch {batch}");
            Assert.That(y.GradFn, Is.Null);
            Assert.That(y.RequiresGrad, Is.False);
        }
        Assert.That(net.Modules().All(m => m.IsTraining), "training flags restored");
        Assert.That(((BatchNorm)net[1]).RunningMean.ToArray<float>(), Is.EqualTo(mean), "running statistics untouched");
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Predict(x, 0));
        Assert.Throws<ShapeMismatchException>(() => net.Predict(Tensor.Zeros(new Shape(2, 5))));
    }

    [Test]
    public void ArgMaxTakesTheFirstMaximumAndFlagsNaN()
    {
        using var s = Tensor.FromArray(new[] { 0.1, 0.7, 0.7, 2, -1, 0, 1, double.NaN, 3 }, 3, 3);
        Assert.That(Classification.ArgMax(s), Is.EqualTo(new[] { 1, 0, -1 }));
        Assert.That(Classification.Accuracy([1, 0, -1], [1, 2, 2]), Is.EqualTo(1.0 / 3).Within(1e-15));
        Assert.Throws<ArgumentException>(() => Classification.Accuracy([1], [1, 2]));
    }

    [Test]
    public void ConfusionMatrixCountsPairs()
    {
        int[] truth = [0, 0, 1, 1, 1, 2, 2, 2, 2];
        int[] pred = [0, 1, 1, 1, 2, 2, 0, -1, 2];
        var m = new ConfusionMatrix(pred, truth, 3);
        long[,] expected = { { 1, 1, 0 }, { 0, 2, 1 }, { 1, 0, 2 } };
        for (int t = 0; t < 3; t++)
            for (int p = 0; p < 3; p++) Assert.That(m[t, p], Is.EqualTo(expected[t, p]), $"[{t}, {p}]");
        Assert.That(m.Unpredicted(2), Is.EqualTo(1));
        Assert.That(m.Total, Is.EqualTo(9));
        Assert.That(m.Accuracy, Is.EqualTo(5.0 / 9).Within(1e-15));
        Assert.That(m.Recall(2), Is.EqualTo(0.5));
        Assert.That(m.Precision(0), Is.EqualTo(0.5));
        Assert.That(m.ToString(["cat", "dog", "emu"]), Does.Contain("emu").And.Contain("accuracy 0.5556 over 9 examples"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix([0], [3], 3))!;
        Assert.That(e.Message, Does.Contain("example 0 has label 3"));
    }

    [Test]
    public void ModelAccuracyAndConfusionAgreeWithPredictions()
    {
        var net = NetWithBatchNorm();
        var rng = new System.Random(4);
        var labels = Enumerable.Range(0, 25).Select(_ => rng.Next(3)).ToArray();
        var data = new LabeledData(Tensor.RandN(new Shape(25, 4), rng), labels, 3);
        var predicted = net.PredictClasses(data.Inputs, batchSize: 7);
        double direct = Enumerable.Range(0, 25).Count(i => predicted[i] == labels[i]) / 25.0;
        Assert.That(net.Accuracy(data, batchSize: 4), Is.EqualTo(direct));
        var m = net.ConfusionMatrix(data);
        Assert.That(m.Total, Is.EqualTo(25));
        Assert.That(m.Accuracy, Is.EqualTo(direct).Within(1e-15));
    }

    [Test]
    public void WeightsRoundTripAndNonFiniteFilesAreRefused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        var a = NetWithBatchNorm();
        a.SaveWeights(path, new Dictionary<string, string> { ["classes"] = "a,b,c" });
        var b = new Sequential(new Dense(4, 6, rng: new System.Random(9)), new BatchNorm(6), new Tanh(), new Dense(6, 3, rng: new System.Random(9)));
        var meta = b.LoadWeights(path);
        Assert.That(meta["classes"], Is.EqualTo("a,b,c"));
        foreach (var (name, t) in a.StateDict())
            Assert.That(b.StateDict()[name].ToArray<float>(), Is.EqualTo(t.ToArray<float>()), name);

        using (GradMode.Disable()) a.StateDict()["3.bias"].CopyFrom<float>([0, float.NaN, 0]);
        a.SaveWeights(path);
        var before = b.StateDict()["0.weight"].ToArray<float>();
        var e = Assert.Throws<InvalidDataException>(() => b.LoadWeights(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("'3.bias'").And.Contain("NaN"));
        Assert.That(b.StateDict()["0.weight"].ToArray<float>(), Is.EqualTo(before), "nothing changed");
    }
}

using System.IO.Compression;
using Kfac.Data;
using Kfac.Ops;
using Kfac.Tensors;
using Kfac.Tests.Data;
using NUnit.Framework;

namespace Kfac.Tests.Library;

/// <summary>The data helpers a program of one's own needs: arrays in, splits, standardisation, gzip CSV, label
/// messages.</summary>
public class DataPreparationTests
{
    private static double[,] Features(int n, int d, int seed)
    {
        var rng = new System.Random(seed);
        var x = new double[n, d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i, j] = rng.NextDouble() * (j + 1) * 10 - j;
        return x;
    }

    [Test]
    public void MatricesRoundTripThroughTensors()
    {
        var x = Features(4, 3, 1);
        using var t = Tensor.FromMatrix(x, DType.Float64);
        Assert.That(t.Shape, Is.EqualTo(new Shape(4, 3)));
        Assert.That(t.ToMatrix(), Is.EqualTo(x));
        using var f = Tensor.FromMatrix(new float[,] { { 1, 2 }, { 3, 4 } });
        Assert.That(f.ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
        Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros(new Shape(2, 2, 2)).ToMatrix());
    }

    [Test]
    public void LabeledDataFromArraysInfersTheClassCount()
    {
        var data = LabeledData.FromArrays(Features(5, 2, 2), [0, 2, 1, 2, 0]);
        Assert.That(data.ClassCount, Is.EqualTo(3));
        Assert.That(data.Inputs.Shape, Is.EqualTo(new Shape(5, 2)));
        Assert.That(data.Inputs.DType, Is.EqualTo(DType.Float32));
        var e = Assert.Throws<ArgumentException>(() => LabeledData.FromArrays(Features(5, 2, 2), [0, 1]))!;
        Assert.That(e.Message, Does.Contain("5 rows").And.Contain("2 labels"));
    }

    [Test]
    public void LabelMessagesNameTheExample()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => LabeledData.FromArrays(Features(4, 2, 3), [0, 1, 2, 3], classCount: 3))!;
        Assert.That(e.Message, Does.Contain("example 3 has label 3, outside [0, 3)"));
        var o = Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxOps.OneHot([1, -1], 2))!;
        Assert.That(o.Message, Does.Contain("example 1 has label -1, outside [0, 2)"));
    }

    [Test]
    public void SubsetCopiesTheChosenRowsInOrder()
    {
        var x = Features(6, 3, 4);
        var data = LabeledData.FromArrays(x, [0, 1, 0, 1, 0, 1], dtype: DType.Float64);
        var sub = data.Subset([5, 0, 5]);
        Assert.That(sub.Labels, Is.EqualTo(new[] { 1, 0, 1 }));
        var m = sub.Inputs.ToMatrix();
        for (int j = 0; j < 3; j++)
        {
            Assert.That(m[0, j], Is.EqualTo(x[5, j]));
            Assert.That(m[1, j], Is.EqualTo(x[0, j]));
            Assert.That(m[2, j], Is.EqualTo(x[5, j]));
        }
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset([1, 6]))!;
        Assert.That(e.Message, Does.Contain("index 1 is 6").And.Contain("6 examples"));
    }

    [Test]
    public void SplitsPartitionTheDataAndDependOnlyOnTheSeed()
    {
        var (train, val, test) = DataSplit.Indices(100, 0.15, 0.25, seed: 7);
        Assert.That(val, Has.Length.EqualTo(15));
        Assert.That(test, Has.Length.EqualTo(25));
        Assert.That(train, Has.Length.EqualTo(60));
        Assert.That(train.Concat(val).Concat(test).Order(), Is.EqualTo(Enumerable.Range(0, 100)));
        var again = DataSplit.Indices(100, 0.15, 0.25, seed: 7);
        Assert.That(again.Train, Is.EqualTo(train));
        Assert.That(again.Test, Is.EqualTo(test));
        Assert.That(DataSplit.Indices(100, 0.15, 0.25, seed: 8).Test, Is.Not.EqualTo(test));
    }

    [Test]
    public void EveryExampleIsEquallyLikelyToBeHeldOut()
    {
        // Over 400 seeds each of 50 indices lands in the 20% test part Binomial(400, 0.2) times: mean 80, sd 8.
        // All 50 within 5 sd (40..120) fails for a biased permutation (e.g. a first-k or off-by-one shuffle);
        // for a uniform one the chance of a false alarm is about 50 * 6e-7. The seeds are fixed, so the test is
        // deterministic.
        var counts = new int[50];
        for (int seed = 0; seed < 400; seed++)
            foreach (int i in DataSplit.Indices(50, 0, 0.2, seed).Test) counts[i]++;
        Assert.That(counts, Is.All.InRange(40, 120));
    }

    [Test]
    public void StratifiedSplitKeepsClassProportions()
    {
        int[] labels = [.. Enumerable.Repeat(0, 60), .. Enumerable.Repeat(1, 30), .. Enumerable.Repeat(2, 10)];
        var data = LabeledData.FromArrays(Features(100, 2, 5), labels);
        var split = DataSplit.TrainValidationTest(data, 0.1, 0.2, seed: 3);
        Assert.That(split.Validation.CountPerClass(), Is.EqualTo(new[] { 6, 3, 1 }));
        Assert.That(split.Test.CountPerClass(), Is.EqualTo(new[] { 12, 6, 2 }));
        Assert.That(split.Train.CountPerClass(), Is.EqualTo(new[] { 42, 21, 7 }));
        Assert.That(split.Test.Labels.Take(10).Distinct().Count(), Is.GreaterThan(1), "parts are shuffled, not class by class");
        // The same rows as the source (each input row keeps its label).
        var all = data.Inputs.ToMatrix();
        var t = split.Test.Inputs.ToMatrix();
        for (int i = 0; i < split.Test.Count; i++)
        {
            int source = Enumerable.Range(0, 100).Single(r => (float)all[r, 0] == (float)t[i, 0] && (float)all[r, 1] == (float)t[i, 1]);
            Assert.That(labels[source], Is.EqualTo(split.Test.Labels[i]));
        }
    }

    [Test]
    public void SplitFractionsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.Indices(10, -0.1, 0.2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.Indices(10, 0.1, double.NaN, 0));
        var e = Assert.Throws<ArgumentException>(() => DataSplit.Indices(10, 0.5, 0.5, 0))!;
        Assert.That(e.Message, Does.Contain("nothing to train on"));
        var data = LabeledData.FromArrays(Features(5, 1, 6), [0, 0, 0, 0, 1]);
        var c = Assert.Throws<ArgumentException>(() => DataSplit.TrainValidationTest(data, 0.5, 0.4, 0))!;
        Assert.That(c.Message, Does.Contain("class 0 has 4 examples"));
    }

    [Test]
    public void StandardizerUsesTrainingStatisticsOnly()
    {
        var x = Features(40, 3, 8);
        for (int i = 0; i < 40; i++) x[i, 2] = 5; // a constant feature
        using var train = Tensor.FromMatrix(x, DType.Float64);
        var s = Standardizer.Fit(train);
        for (int j = 0; j < 2; j++)
        {
            double mean = Enumerable.Range(0, 40).Average(i => x[i, j]);
            double std = Math.Sqrt(Enumerable.Range(0, 40).Average(i => (x[i, j] - mean) * (x[i, j] - mean)));
            Assert.That(s.Mean[j], Is.EqualTo(mean).Within(1e-12));
            Assert.That(s.Std[j], Is.EqualTo(std).Within(1e-12));
        }
        Assert.That(s.Std[2], Is.EqualTo(1));
        var z = s.Transform(train).ToMatrix();
        for (int j = 0; j < 2; j++)
        {
            Assert.That(Enumerable.Range(0, 40).Average(i => z[i, j]), Is.EqualTo(0).Within(1e-12));
            Assert.That(Enumerable.Range(0, 40).Average(i => z[i, j] * z[i, j]), Is.EqualTo(1).Within(1e-12));
        }
        Assert.That(Enumerable.Range(0, 40).Select(i => z[i, 2]), Is.All.EqualTo(0));
        using var other = Tensor.FromMatrix(new double[,] { { 1, 2, 3 } }, DType.Float64);
        var o = s.Transform(other).ToMatrix();
        Assert.That(o[0, 1], Is.EqualTo((2 - s.Mean[1]) / s.Std[1]).Within(1e-12));
        var e = Assert.Throws<ShapeMismatchException>(() => s.Transform(Tensor.Zeros(new Shape(2, 4))))!;
        Assert.That(e.Message, Does.Contain("3 features").And.Contain("[2, 4]"));
        x[3, 1] = double.NaN;
        var n = Assert.Throws<ArgumentException>(() => Standardizer.Fit(Tensor.FromMatrix(x, DType.Float64)))!;
        Assert.That(n.Message, Does.Contain("feature 1"));
    }

    [Test]
    public void CsvTableReadsGzipByContentNotName()
    {
        using var dir = new TempDirectory();
        const string text = "a,b\n1,2\n3.5,-4\n";
        string plain = dir.File("plain.csv"), zipped = dir.File("zipped.csv");
        File.WriteAllText(plain, text);
        using (var f = File.Create(zipped))
        using (var gz = new GZipStream(f, CompressionLevel.Optimal))
        using (var w = new StreamWriter(gz)) w.Write(text);
        var a = CsvTable.Read(plain);
        var b = CsvTable.Read(zipped);
        Assert.That(b.ColumnNames, Is.EqualTo(a.ColumnNames));
        Assert.That(b.Values.ToArray(), Is.EqualTo(new[] { 1, 2, 3.5, -4 }));
        File.Move(zipped, dir.File("zipped.csv.gz"));
        Assert.That(CsvTable.Read(dir.File("zipped.csv.gz")).RowCount, Is.EqualTo(2));
    }
}

using Kfac.Autodiff;
using Kfac.Layers;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Conv;

/// <summary>BatchNorm: values against the definition, backward and JVP through the batch statistics (train) and
/// the running statistics (eval), running-average updates, errors.</summary>
public class BatchNormTests
{
    private static Tensor Random(int seed, params int[] shape) => Tensor.RandN(new Shape(shape), new System.Random(seed), 0.5, 2, DType.Float64);

    /// <summary>Gradient check of the layer in x and in (gamma, beta), with non-trivial gamma and beta.</summary>
    private static void Check(BatchNorm bn, Tensor x)
    {
        using (GradMode.Disable())
        {
            bn.Scale!.CopyFrom(Random(5, bn.Features));
            bn.Shift!.CopyFrom(Random(6, bn.Features));
        }
        var ps = bn.Parameters().ToArray();
        foreach (var p in ps) p.RequiresGrad = false;
        var r = GradCheck.Run(inputs => bn.Forward(inputs[0]), [x, .. ps]);
        Assert.That(r.Passed(1e-6), Is.True, $"gradient error {r.MaxGradientError:G3}, jvp error {r.MaxJvpError:G3}: {r.Detail}");
    }

    [TestCase(4, 3)]
    [TestCase(2, 1)]
    public void TrainModeFeaturesGradientAndJvp(int n, int f) => Check(new BatchNorm(f, dtype: DType.Float64), Random(1, n, f));

    [TestCase(3, 3, 2, 2)]
    [TestCase(1, 2, 3, 2)]
    [TestCase(2, 5, 1, 3)]
    public void TrainModeChannelsGradientAndJvp(int n, int c, int h, int w) => Check(new BatchNorm(c, dtype: DType.Float64), Random(2, n, c, h, w));

    [Test]
    public void EvalModeGradientAndJvp()
    {
        var bn = new BatchNorm(3, dtype: DType.Float64);
        bn.RunningMean.CopyFrom<double>([0.5, -1, 2]);
        bn.RunningVar.CopyFrom<double>([2, 0.5, 1]);
        bn.Eval();
        Check(bn, Random(3, 2, 3, 2, 3));
    }

    [Test]
    public void TrainModeNormalisesPerChannelAndUpdatesRunningAverages()
    {
        var bn = new BatchNorm(2, eps: 1e-5, momentum: 0.25, dtype: DType.Float64);
        bn.Scale!.CopyFrom<double>([2, 3]);
        bn.Shift!.CopyFrom<double>([1, -1]);
        // channel 0 holds 1..4 over (n, h, w), channel 1 holds 10, 10, 20, 20
        var x = Tensor.FromArray(new double[] { 1, 2, 10, 10, 3, 4, 20, 20 }, 2, 2, 1, 2);
        var y = bn.Forward(x).ToArray<double>();
        double mean0 = 2.5, var0 = 1.25, mean1 = 15, var1 = 25;
        double[] expected =
        [
            2 * (1 - mean0) / Math.Sqrt(var0 + 1e-5) + 1, 2 * (2 - mean0) / Math.Sqrt(var0 + 1e-5) + 1,
            3 * (10 - mean1) / Math.Sqrt(var1 + 1e-5) - 1, 3 * (10 - mean1) / Math.Sqrt(var1 + 1e-5) - 1,
            2 * (3 - mean0) / Math.Sqrt(var0 + 1e-5) + 1, 2 * (4 - mean0) / Math.Sqrt(var0 + 1e-5) + 1,
            3 * (20 - mean1) / Math.Sqrt(var1 + 1e-5) - 1, 3 * (20 - mean1) / Math.Sqrt(var1 + 1e-5) - 1,
        ];
        Assert.That(y, Is.EqualTo(expected).Within(1e-12));
        // running = 0.75 running + 0.25 batch, unbiased variance (M / (M - 1)) var with M = 4
        Assert.That(bn.RunningMean.ToArray<double>(), Is.EqualTo(new[] { 0.25 * mean0, 0.25 * mean1 }).Within(1e-12));
        Assert.That(bn.RunningVar.ToArray<double>(), Is.EqualTo(new[] { 0.75 + 0.25 * var0 * 4 / 3, 0.75 + 0.25 * var1 * 4 / 3 }).Within(1e-12));

        // No-grad training passes (K-FAC's extra evaluations) leave the averages alone.
        using (GradMode.Disable()) bn.Forward(x);
        Assert.That(bn.RunningMean.ToArray<double>(), Is.EqualTo(new[] { 0.25 * mean0, 0.25 * mean1 }).Within(1e-12));

        bn.Eval();
        var e = bn.Forward(x).ToArray<double>();
        double rm0 = 0.25 * mean0, rv0 = 0.75 + 0.25 * var0 * 4 / 3;
        Assert.That(e[0], Is.EqualTo(2 * (1 - rm0) / Math.Sqrt(rv0 + 1e-5) + 1).Within(1e-12), "eval uses the running statistics");
    }

    [Test]
    public void FeatureInputsNormaliseOverTheBatch()
    {
        var bn = new BatchNorm(3, dtype: DType.Float64);
        var y = bn.Forward(Random(4, 6, 3));
        var mean = y.Mean(0).ToArray<double>();
        var meanSquare = (y * y).Mean(0).ToArray<double>();
        Assert.That(mean, Is.All.EqualTo(0).Within(1e-12));
        Assert.That(meanSquare, Is.All.EqualTo(1).Within(1e-4));
    }

    [Test]
    public void ErrorsNameTheShapes()
    {
        var bn = new BatchNorm(3);
        Assert.That(() => bn.Forward(Tensor.Zeros(new Shape(2, 4))), Throws.TypeOf<ShapeMismatchException>().With.Message.Contain("[2, 4]"));
        Assert.That(() => bn.Forward(Tensor.Zeros(new Shape(2, 3, 4))), Throws.TypeOf<ShapeMismatchException>());
        Assert.That(() => bn.Forward(Tensor.Zeros(new Shape(1, 3))), Throws.ArgumentException.With.Message.Contain("more than one value per channel"));
        Assert.That(() => new BatchNorm(0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void StateDictHoldsParametersAndRunningStatistics()
    {
        var names = new BatchNorm(4).StateDict().Keys.Order().ToArray();
        Assert.That(names, Is.EqualTo(new[] { "bias", "running_mean", "running_var", "weight" }));
        Assert.That(new BatchNorm(4, affine: false).Parameters(), Is.Empty);
    }
}

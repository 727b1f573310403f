using FsCheck;
using FsCheck.Fluent;
using Kfac.Optim;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

public class OptionsTests
{
    public static IEnumerable<TestCaseData> InvalidOptions()
    {
        TestCaseData C(OptimizerOptions o, string field, string value) => new TestCaseData(o, field, value).SetArgDisplayNames($"{o.GetType().Name}.{field}={value}");
        yield return C(new SgdOptions { LearningRate = -1 }, "LearningRate", "-1");
        yield return C(new SgdOptions { LearningRate = double.NaN }, "LearningRate", "NaN");
        yield return C(new SgdOptions { LearningRate = double.PositiveInfinity }, "LearningRate", "Infinity");
        yield return C(new SgdOptions { Momentum = 1 }, "Momentum", "1");
        yield return C(new SgdOptions { Momentum = -0.1 }, "Momentum", "-0.1");
        yield return C(new SgdOptions { Dampening = 1.5 }, "Dampening", "1.5");
        yield return C(new SgdOptions { WeightDecay = -1e-4 }, "WeightDecay", "-0.0001");
        yield return C(new SgdOptions { Nesterov = true }, "Nesterov", "Momentum = 0");
        yield return C(new SgdOptions { Nesterov = true, Momentum = 0.9, Dampening = 0.1 }, "Nesterov", "Dampening = 0.1");
        yield return C(new AdamOptions { Beta1 = 1 }, "Beta1", "1");
        yield return C(new AdamOptions { Beta2 = -0.5 }, "Beta2", "-0.5");
        yield return C(new AdamOptions { Epsilon = -1e-8 }, "Epsilon", "-1E-08");
        yield return C(new AdamOptions { WeightDecay = -2 }, "WeightDecay", "-2");
        yield return C(new AdamOptions { LearningRate = -3 }, "LearningRate", "-3");
        yield return C(new RmsPropOptions { Alpha = 1 }, "Alpha", "1");
        yield return C(new RmsPropOptions { Epsilon = double.NaN }, "Epsilon", "NaN");
        yield return C(new RmsPropOptions { Momentum = 2 }, "Momentum", "2");
        yield return C(new RmsPropOptions { WeightDecay = -1 }, "WeightDecay", "-1");
        yield return C(new OptimizerOptions { LearningRate = -0.25 }, "LearningRate", "-0.25");
    }

    [TestCaseSource(nameof(InvalidOptions))]
    public void InvalidOptionsAreRejectedNamingTheFieldAndValue(OptimizerOptions options, string field, string value)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.That(e!.ParamName, Is.EqualTo(field));
        Assert.That(e.Message, Does.Contain($"{options.GetType().Name}.{field}").And.Contain(value));
    }

    [TestCaseSource(nameof(InvalidOptions))]
    public void OptimizersValidateTheirOptionsWhenBuilt(OptimizerOptions options, string field, string value)
    {
        var p = Tensor.FromArray([1.0], 1);
        p.RequiresGrad = true;
        Action build = options switch
        {
            SgdOptions s => () => new Sgd([p], s),
            AdamOptions a => () => new Adam([p], a),
            RmsPropOptions r => () => new RmsProp([p], r),
            _ => () => new ChainOptimizer([p], options, _ => []),
        };
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(build)!.ParamName, Is.EqualTo(field));
    }

    [Test]
    public void GroupOverridesAreValidatedToo()
    {
        var a = Tensor.FromArray([1.0], 1);
        var b = Tensor.FromArray([1.0], 1);
        a.RequiresGrad = b.RequiresGrad = true;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new AdamOptions(), new(new[] { a }), new(new[] { b }, o => o with { Beta2 = 1.5 })));
        Assert.That(e!.ParamName, Is.EqualTo("Beta2"));
    }

    [Test]
    public void DefaultsMatchPyTorch()
    {
        Assert.That(new AdamOptions(), Is.EqualTo(new AdamOptions { LearningRate = 1e-3, Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, WeightDecay = 0 }));
        Assert.That(new RmsPropOptions(), Is.EqualTo(new RmsPropOptions { LearningRate = 1e-2, Alpha = 0.99, Epsilon = 1e-8 }));
        Assert.That(new SgdOptions().LearningRate, Is.EqualTo(1e-3));
        Assert.DoesNotThrow(new SgdOptions().Validate);
        Assert.DoesNotThrow(new AdamOptions().Validate);
        Assert.DoesNotThrow(new RmsPropOptions().Validate);
    }

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public bool LearningRateIsAcceptedExactlyWhenFiniteAndNonNegative(double lr)
    {
        bool valid = lr >= 0 && double.IsFinite(lr);
        try
        {
            new SgdOptions { LearningRate = lr }.Validate();
            return valid;
        }
        catch (ArgumentOutOfRangeException e)
        {
            return !valid && e.ParamName == "LearningRate";
        }
    }

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public bool BetasAreAcceptedExactlyInTheHalfOpenUnitInterval(double beta1, double beta2)
    {
        bool valid = beta1 is >= 0 and < 1 && beta2 is >= 0 and < 1;
        try
        {
            new AdamOptions { Beta1 = beta1, Beta2 = beta2 }.Validate();
            return valid;
        }
        catch (ArgumentOutOfRangeException e)
        {
            return !valid && e.ParamName == (beta1 is >= 0 and < 1 ? "Beta2" : "Beta1");
        }
    }
}

public class OptimizerPropertyTests
{
    private static Gen<double[]> Gradients =>
        Gen.Choose(1, 9).SelectMany(n => Gen.ArrayOf(Gen.Choose(-100_000, 100_000).Select(i => i / 1000.0), n));

    /// <summary>Bias correction bounds Adam's first update: |delta_i| = lr |g_i| / (|g_i| + eps) &lt;= lr,
    /// against the gradient's sign, for any gradient.</summary>
    [FsCheck.NUnit.Property(MaxTest = 100)]
    public Property AdamFirstUpdateIsAtMostTheLearningRate() =>
        Prop.ForAll(Gradients.ToArbitrary(), g =>
        {
            var p = Tensor.Zeros(new Shape(g.Length), DType.Float64);
            p.RequiresGrad = true;
            using var opt = new Adam([p], new AdamOptions { LearningRate = 0.01 });
            OptimTestProblem.SetGrad(p, g);
            opt.Step();
            var d = p.ToArray<double>();
            for (int i = 0; i < g.Length; i++)
                if (Math.Abs(d[i]) > 0.01 * (1 + 1e-12) || d[i] * g[i] > 0 || (g[i] == 0) != (d[i] == 0)) return false;
            return true;
        });

    /// <summary>Plain SGD is p - lr g elementwise, for any gradient and learning rate.</summary>
    [FsCheck.NUnit.Property(MaxTest = 100)]
    public Property PlainSgdIsAGradientStep() =>
        Prop.ForAll(Gradients.ToArbitrary(), Gen.Choose(0, 1000).Select(i => i / 1000.0).ToArbitrary(), (g, lr) =>
        {
            var start = g.Select((_, i) => 0.5 * i - 1).ToArray();
            var p = Tensor.FromArray(start, g.Length);
            p.RequiresGrad = true;
            using var opt = new Sgd([p], new SgdOptions { LearningRate = lr });
            OptimTestProblem.SetGrad(p, g);
            opt.Step();
            var after = p.ToArray<double>();
            return after.Select((v, i) => Math.Abs(v - (start[i] - lr * g[i])) <= 1e-12 * (1 + Math.Abs(start[i]) + Math.Abs(lr * g[i]))).All(ok => ok);
        });

    /// <summary>Resuming from exported state is exact for any momentum configuration and resume point.</summary>
    [FsCheck.NUnit.Property(MaxTest = 25)]
    public Property ResumingSgdIsExactForAnyConfiguration() =>
        Prop.ForAll(Gen.Choose(0, 9).ToArbitrary(), Gen.Choose(0, 3).ToArbitrary(), Gen.Choose(1, 6).ToArbitrary(), (m, dampening, before) =>
        {
            double momentum = m / 10.0;
            bool nesterov = momentum > 0 && dampening == 0 && before % 2 == 0;
            var options = new SgdOptions { LearningRate = 0.05, Momentum = momentum, Dampening = dampening / 4.0, Nesterov = nesterov, WeightDecay = 0.01 };
            OptimizerStateTests.AssertIdenticalContinuation(ps => new Sgd(ps, options), DType.Float32, before, 3);
        });
}

public class ScheduleTests
{
    [Test]
    public void Constant() => Assert.That(new[] { 0L, 1, 1000 }.Select(new ConstantSchedule(0.1).At), Is.All.EqualTo(0.1));

    [Test]
    public void StepDecay()
    {
        var s = new StepDecaySchedule(initial: 1.0, stepSize: 3, gamma: 0.5);
        Assert.That(Enumerable.Range(0, 8).Select(k => s.At(k)), Is.EqualTo(new[] { 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25 }));
    }

    [Test]
    public void ExponentialDecay()
    {
        var s = new ExponentialDecaySchedule(2.0, 0.5);
        Assert.That(new[] { s.At(0), s.At(1), s.At(3) }, Is.EqualTo(new[] { 2.0, 1.0, 0.25 }));
    }

    [Test]
    public void CosineWithoutWarmupIsPyTorchsCosineAnnealing()
    {
        // CosineAnnealingLR(T_max = 10, eta_min = 0.01) from base 0.1: eta_min + (base - eta_min)(1 + cos(pi k / 10)) / 2.
        var s = new CosineSchedule(peak: 0.1, totalSteps: 10, final: 0.01);
        Assert.That(s.At(0), Is.EqualTo(0.1).Within(1e-17));
        Assert.That(s.At(3), Is.EqualTo(0.01 + 0.09 * (1 + Math.Cos(0.3 * Math.PI)) / 2).Within(1e-17));
        Assert.That(s.At(5), Is.EqualTo(0.055).Within(1e-16));
        Assert.That(s.At(10), Is.EqualTo(0.01));
        Assert.That(s.At(25), Is.EqualTo(0.01), "held at the final value after the last step");
    }

    [Test]
    public void CosineWithLinearWarmup()
    {
        var s = new CosineSchedule(peak: 1.0, totalSteps: 12, warmupSteps: 2, initial: 0.1, final: 0.0);
        Assert.That(s.At(0), Is.EqualTo(0.1));
        Assert.That(s.At(1), Is.EqualTo(0.55).Within(1e-16));
        Assert.That(s.At(2), Is.EqualTo(1.0));
        Assert.That(s.At(7), Is.EqualTo(0.5).Within(1e-16));
        Assert.That(s.At(12), Is.EqualTo(0.0));
    }

    [Test]
    public void Lambda() => Assert.That(new LambdaSchedule(k => 1.0 / (k + 1)).At(3), Is.EqualTo(0.25));

    [Test]
    public void InvalidScheduleArgumentsAreRejected()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(1, totalSteps: 5, warmupSteps: 5))!.ParamName, Is.EqualTo("totalSteps"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecaySchedule(1, 0, 0.5))!.ParamName, Is.EqualTo("stepSize"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecaySchedule(-1, 0.5))!.ParamName, Is.EqualTo("initial"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(double.NaN))!.ParamName, Is.EqualTo("learningRate"));
    }
}

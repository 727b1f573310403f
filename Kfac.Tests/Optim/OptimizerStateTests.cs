using Kfac.Optim;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

public class OptimizerStateTests
{
    private static Tensor Param(params double[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>Runs <paramref name="before"/> steps, exports, continues <paramref name="after"/> steps; a fresh
    /// optimizer (that first takes a few unrelated steps, so its state is not already equal) imports the
    /// export, restarts from the exported parameter values and must follow the same trajectory bit for bit.</summary>
    internal static void AssertIdenticalContinuation(Func<Tensor[], Optimizer> create, DType dtype, int before, int after,
        Func<OptimizerStateDict, OptimizerStateDict>? transform = null)
    {
        var ps = OptimTestProblem.Parameters(dtype);
        using var original = create(ps);
        OptimTestProblem.Run(original, ps, before);
        var snapshot = OptimTestProblem.Values(ps);
        using var exported = original.ExportState();
        var expected = OptimTestProblem.Run(original, ps, after);

        var qs = OptimTestProblem.Parameters(dtype);
        using var resumed = create(qs);
        OptimTestProblem.Run(resumed, qs, 2);
        var restored = OptimTestProblem.Parameters(dtype, snapshot);
        for (int i = 0; i < qs.Length; i++) qs[i].CopyFrom(restored[i]);
        resumed.ImportState(transform is null ? exported : transform(exported));
        var actual = OptimTestProblem.Run(resumed, qs, after);
        for (int k = 0; k < after; k++)
            Assert.That(actual[k], Is.EqualTo(expected[k]), $"step {before + k + 1} after resuming differs");
    }

    [TestCaseSource(typeof(GoldenTests), nameof(GoldenTests.Cases))]
    public void ExportImportContinuesBitwiseIdentically(string name, Func<Tensor[], Optimizer> create, Func<IReferenceOptimizer> _)
    {
        AssertIdenticalContinuation(create, DType.Float32, before: 3, after: 4);
        AssertIdenticalContinuation(create, DType.Float64, before: 2, after: 3);
    }

    [Test]
    public void ImportConvertsDtypeLosslesslyWhenItCan()
    {
        // A checkpoint might hold float64 copies of float32 state: float32 -> float64 -> float32 is exact.
        AssertIdenticalContinuation(ps => new Adam(ps, new AdamOptions { LearningRate = 0.05 }), DType.Float32, 3, 3,
            e => new OptimizerStateDict(e.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.To(DType.Float64)), e.Metadata));
    }

    [Test]
    public void ExportedKeysAndMetadata()
    {
        var ps = OptimTestProblem.Parameters(DType.Float32);
        using var opt = new Adam(new AdamOptions { LearningRate = 0.1 }, new(ps[..1]), new(ps[1..], o => o with { LearningRate = 0.25 }));
        OptimTestProblem.Run(opt, ps, 3);
        using var state = opt.ExportState();
        Assert.That(state.Tensors.Keys, Is.EquivalentTo(new[] { "param.0.exp_avg", "param.0.exp_avg_sq", "param.1.exp_avg", "param.1.exp_avg_sq" }));
        Assert.That(state.Tensors["param.0.exp_avg"].Shape, Is.EqualTo(new Shape(2, 2)));
        Assert.That(state.Tensors["param.1.exp_avg_sq"].DType, Is.EqualTo(DType.Float32));
        Assert.That(state.Metadata["format"], Is.EqualTo(Optimizer.StateFormat));
        Assert.That(state.Metadata["optimizer"], Is.EqualTo("Adam"));
        Assert.That(state.Metadata["step"], Is.EqualTo("3"));
        Assert.That(state.Metadata["groups"], Is.EqualTo("2"));
        Assert.That(state.Metadata["group.1.params"], Is.EqualTo("1"));
        Assert.That(state.Metadata["group.1.lr"], Is.EqualTo("0.25"));
        Assert.That(state.Metadata["param.1.step"], Is.EqualTo("3"));
        Assert.That(state.Metadata["param.0.name"], Is.EqualTo("w"));
        // The export is a snapshot: later steps do not change it.
        var before = state.Tensors["param.0.exp_avg"].ToArray<float>();
        OptimTestProblem.Run(opt, ps, 1);
        Assert.That(state.Tensors["param.0.exp_avg"].ToArray<float>(), Is.EqualTo(before));
    }

    [Test]
    public void ImportRestoresLearningRatesAndStepCounts()
    {
        var ps = OptimTestProblem.Parameters(DType.Float64);
        using var a = new Sgd(ps, new SgdOptions { LearningRate = 0.1 });
        OptimTestProblem.Run(a, ps, 2);
        a.LearningRate = 0.0375;
        using var state = a.ExportState();
        using var b = new Sgd(OptimTestProblem.Parameters(DType.Float64), new SgdOptions { LearningRate = 0.1 });
        b.ImportState(state);
        Assert.That(b.LearningRate, Is.EqualTo(0.0375));
        Assert.That(b.State.Step, Is.EqualTo(2));
        Assert.That(b.State.Parameters.Select(p => p.Step), Is.All.EqualTo(2));
    }

    [Test]
    public void ImportWithWrongShapeNamesKeyAndBothShapes()
    {
        var ps = OptimTestProblem.Parameters(DType.Float32);
        using var a = new Adam(ps, new AdamOptions());
        OptimTestProblem.Run(a, ps, 1);
        using var state = a.ExportState();
        var other = new[] { Param(1, 2, 3, 4), Param(1, 2, 3) };
        using var b = new Adam(other, new AdamOptions());
        var e = Assert.Throws<ShapeMismatchException>(() => b.ImportState(state));
        Assert.That(e!.Message, Does.Contain("'param.0.exp_avg'").And.Contain("[2, 2]").And.Contain("[4]"));
        Assert.That(e.Expected, Is.EqualTo(new Shape(4)));
        Assert.That(e.Actual, Is.EqualTo(new Shape(2, 2)));
    }

    [Test]
    public void FailedImportChangesNothing()
    {
        var ps = OptimTestProblem.Parameters(DType.Float64);
        using var a = new Sgd(ps, new SgdOptions { LearningRate = 0.1, Momentum = 0.9 });
        OptimTestProblem.Run(a, ps, 2);
        using var state = a.ExportState();
        using var bad = new OptimizerStateDict(new Dictionary<string, Tensor>(state.Tensors)
        {
            ["param.1.momentum_buffer"] = Tensor.Zeros(new Shape(4), DType.Float64),
        }, state.Metadata);
        using var b = new Sgd(OptimTestProblem.Parameters(DType.Float64), new SgdOptions { LearningRate = 0.5, Momentum = 0.9 });
        var before = b.State.For(0, 0).Buffer("momentum_buffer").ToArray<double>();
        Assert.Throws<ShapeMismatchException>(() => b.ImportState(bad));
        Assert.That(b.State.For(0, 0).Buffer("momentum_buffer").ToArray<double>(), Is.EqualTo(before));
        Assert.That(b.State.Step, Is.EqualTo(0));
        Assert.That(b.LearningRate, Is.EqualTo(0.5));
    }

    [Test]
    public void ImportReportsMissingAndUnexpectedKeys()
    {
        var ps = OptimTestProblem.Parameters(DType.Float32);
        using var withMomentum = new Sgd(ps, new SgdOptions { Momentum = 0.9 });
        using var plain = new Sgd(OptimTestProblem.Parameters(DType.Float32), new SgdOptions());
        using var momentumState = withMomentum.ExportState();
        using var plainState = plain.ExportState();

        var unexpected = Assert.Throws<ArgumentException>(() => plain.ImportState(momentumState));
        Assert.That(unexpected!.Message, Does.Contain("'param.0.momentum_buffer'").And.Contain("'param.1.momentum_buffer'"));
        var missing = Assert.Throws<KeyNotFoundException>(() => withMomentum.ImportState(plainState));
        Assert.That(missing!.Message, Does.Contain("'param.0.momentum_buffer'").And.Contain("[2, 2]"));
    }

    [Test]
    public void ImportChecksOptimizerKindAndGroupLayout()
    {
        var ps = OptimTestProblem.Parameters(DType.Float32);
        using var adam = new Adam(ps, new AdamOptions());
        using var adamState = adam.ExportState();
        using var sgd = new Sgd(OptimTestProblem.Parameters(DType.Float32), new SgdOptions());
        var kind = Assert.Throws<ArgumentException>(() => sgd.ImportState(adamState));
        Assert.That(kind!.Message, Does.Contain("'Adam'").And.Contain("'Sgd'"));

        var qs = OptimTestProblem.Parameters(DType.Float32);
        using var twoGroups = new Adam(new AdamOptions(), new(qs[..1]), new(qs[1..]));
        var groups = Assert.Throws<ArgumentException>(() => twoGroups.ImportState(adamState));
        Assert.That(groups!.Message, Does.Contain("1 parameter groups").And.Contain("has 2"));

        var noFormat = new Dictionary<string, string>(adamState.Metadata);
        noFormat.Remove("format");
        var e = Assert.Throws<KeyNotFoundException>(() => adam.ImportState(adamState.Tensors, noFormat));
        Assert.That(e!.Message, Does.Contain("'format'"));
    }

    [Test]
    public void ImportChecksParameterNamesWhenBothSidesHaveThem()
    {
        var ps = OptimTestProblem.Parameters(DType.Float32);
        using var a = new Sgd(ps, new SgdOptions { Momentum = 0.5 });
        using var state = a.ExportState();
        var swapped = OptimTestProblem.Parameters(DType.Float32);
        swapped[0].Name = "b";
        swapped[1].Name = "w";
        using var b = new Sgd(swapped, new SgdOptions { Momentum = 0.5 });
        var e = Assert.Throws<ArgumentException>(() => b.ImportState(state));
        Assert.That(e!.Message, Does.Contain("'param.0.name' is 'w'").And.Contain("'b'"));
        state.Metadata.Remove("param.0.name");
        state.Metadata.Remove("param.1.name");
        Assert.DoesNotThrow(() => b.ImportState(state));
    }

    [Test]
    public void StepDoesNotAllocateAfterTheFirst()
    {
        Func<Tensor[], Optimizer>[] makers =
        [
            ps => new Sgd(ps, new SgdOptions { LearningRate = 0.01, Momentum = 0.9, Nesterov = true, WeightDecay = 1e-4 }),
            ps => new Adam(new AdamOptions { WeightDecay = 1e-2, DecoupledWeightDecay = true }, new(ps[..1]), new(ps[1..], o => o with { WeightDecay = 0 })),
            ps => new RmsProp(ps, new RmsPropOptions { Momentum = 0.5, Centered = true, WeightDecay = 1e-3 }),
        ];
        foreach (var make in makers)
        {
            var ps = OptimTestProblem.Parameters(DType.Float32);
            using var opt = make(ps);
            opt.SetSchedule(new CosineSchedule(1e-3, 1000, warmupSteps: 10));
            OptimTestProblem.SetGradients(ps);
            opt.Step();
            opt.Step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < 200; k++)
            {
                opt.Step();
                if (!opt.GradientsAreFinite()) Assert.Fail("non-finite");
            }
            opt.ZeroGrad();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.That(allocated, Is.LessThan(256), $"{opt.GetType().Name}: {allocated} bytes over 200 steps");
        }
    }
}

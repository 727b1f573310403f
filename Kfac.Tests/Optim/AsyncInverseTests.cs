using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

/// <summary><see cref="KfacOptions.InverseStaleness"/>: inverses computed in the background, installed exactly S steps
/// after the statistics they come from.</summary>
public class AsyncInverseTests
{
    private static (List<KfacStepResult> Results, List<int> Ages, List<int?> Pending, float[] Weights, KfacOptimizer Kfac) Train(KfacOptions options, int steps = 30)
    {
        var model = Mlp.Create([6, 12, 3], Activation.Tanh, seed: 2);
        var kfac = new KfacOptimizer(model.Parameters(), new SoftmaxCrossEntropy(), options);
        var rng = new Random(4);
        var results = new List<KfacStepResult>();
        var ages = new List<int>();
        var pending = new List<int?>();
        for (int k = 1; k <= steps; k++)
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.RandN(new Shape(32, 6), rng);
            var t = SoftmaxOps.OneHot(Enumerable.Range(0, 32).Select(_ => rng.Next(3)).ToArray(), 3);
            results.Add(kfac.Step(model.Forward, x, t));
            ages.Add(k - kfac.InverseSourceStep);
            pending.Add(kfac.PendingRefreshStep);
        }
        var weights = model.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();
        return (results, ages, pending, weights, kfac);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void TheInversesInUseAreNeverStalerThanTheBound(int staleness)
    {
        var options = new KfacOptions { InitialLambda = 5, InverseInterval = 5, InverseStaleness = staleness };
        var (results, ages, pending, _, kfac) = Train(options);
        Assert.That(results.Count(r => r.Rejected), Is.EqualTo(0));
        // Synchronous refreshes every T3 = 5 steps leave inverses up to 4 steps old; asynchronous ones add at most S.
        Assert.That(kfac.MaxInverseAge, Is.EqualTo(options.InverseInterval - 1 + staleness), "the bound is reached, never exceeded");
        Assert.That(ages, Is.All.LessThanOrEqualTo(options.InverseInterval - 1 + staleness));
        // A background refresh launched at k0 is installed at the start of step k0 + S: after step k it is pending only
        // while k < k0 + S.
        for (int k = 1; k <= pending.Count; k++)
            if (pending[k - 1] is { } k0) Assert.That(k - k0, Is.InRange(0, staleness - 1), $"step {k}");
        Assert.That(pending.Count(p => p is not null), Is.GreaterThan(0), "some refresh went to the background");
    }

    [Test]
    public void TheResultDoesNotDependOnTimingAndDiffersFromSynchronous()
    {
        var options = new KfacOptions { InitialLambda = 5, InverseInterval = 5, InverseStaleness = 3 };
        var a = Train(options);
        var b = Train(options);
        Assert.That(a.Weights, Is.EqualTo(b.Weights), "installation at exactly k0 + S makes runs reproducible bit for bit");
        var synchronous = Train(options with { InverseStaleness = 0 });
        Assert.That(synchronous.Weights, Is.Not.EqualTo(a.Weights), "stale inverses change the updates");
        Assert.That(synchronous.Kfac.MaxInverseAge, Is.EqualTo(4));
    }

    [Test]
    public void AStalenessNotBelowTheInverseIntervalIsRejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new KfacOptions { InverseInterval = 3, InverseStaleness = 3 }.Validate());
        Assert.That(e!.Message, Does.Contain("InverseStaleness").And.Contain("1 .. InverseInterval - 1 = 2"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KfacOptions { InverseStaleness = -1 }.Validate());
    }
}

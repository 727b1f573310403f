using Kfac.Distributed;
using Kfac.Layers.Models;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

public class GradientAllReducerTests
{
    private static IReadOnlyList<Tensor> ParametersWithGradients(int seed)
    {
        var model = Mlp.Create([5, 7, 3], seed: seed);
        var rng = new Random(seed);
        foreach (var p in model.Parameters())
        {
            var g = new float[p.Numel];
            for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() - 0.5);
            p.Grad = Tensor.FromArray<float>(g, p.Shape);
        }
        return model.Parameters();
    }

    [TestCase(GradientAllReducer.DefaultBucketBytes, 1)]
    [TestCase(64, 4)] // 64 bytes: the 3-float bias, 21-float weight, 7-float bias and 35-float weight cannot share
    public void BucketsPartitionTheParametersInReverseOrderWithinTheBucketSize(int bucketBytes, int expectedBuckets)
    {
        var ps = ParametersWithGradients(1);
        var reducer = new GradientAllReducer(SingleProcessCommunicator.Instance, ps, bucketBytes);
        var order = reducer.BucketMembers.SelectMany(b => b).ToArray();
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, ps.Count).Reverse().ToArray()), "each parameter once, last layer first");
        foreach (var bucket in reducer.BucketMembers)
        {
            long bytes = bucket.Sum(i => (long)ps[i].Numel * 4);
            Assert.That(bucket.Count == 1 || bytes <= bucketBytes, $"a bucket of {bucket.Count} parameters holds {bytes} bytes > {bucketBytes}");
        }
        Assert.That(reducer.BucketCount, Is.EqualTo(expectedBuckets));
    }

    [TestCase(GradientAllReducer.DefaultBucketBytes)]
    [TestCase(64)]
    public void OneRankGetsItsGradientTimesTheScale(int bucketBytes)
    {
        var ps = ParametersWithGradients(2);
        var before = ps.Select(p => p.Grad!.ToArray<float>()).ToArray();
        new GradientAllReducer(SingleProcessCommunicator.Instance, ps, bucketBytes).AllReduce(0.25);
        for (int i = 0; i < ps.Count; i++)
            Assert.That(ps[i].Grad!.ToArray<float>(), Is.EqualTo(before[i].Select(g => g * 0.25f).ToArray()), $"parameter {i}");
    }

    [Test]
    public void AParameterWithoutAGradientIsAClearError()
    {
        var ps = ParametersWithGradients(3);
        ps[1].Grad = null;
        var reducer = new GradientAllReducer(SingleProcessCommunicator.Instance, ps);
        var e = Assert.Throws<InvalidOperationException>(() => reducer.AllReduce(1));
        Assert.That(e!.Message, Does.Contain("parameter 1").And.Contain("no gradient"));
    }
}

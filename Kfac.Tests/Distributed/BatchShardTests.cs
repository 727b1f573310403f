using Kfac.Distributed;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

public class BatchShardTests
{
    [TestCase(64, 2)]
    [TestCase(10, 3)]
    [TestCase(7, 7)]
    [TestCase(4000, 6)]
    [TestCase(1, 1)]
    public void ShardsCoverTheBatchOnceAndDifferByAtMostOne(int batch, int size)
    {
        var covered = new int[batch];
        double weights = 0;
        var counts = new List<int>();
        int next = 0;
        for (int r = 0; r < size; r++)
        {
            var s = BatchShard.Of(batch, r, size);
            Assert.That(s.Start, Is.EqualTo(next), "shards are contiguous and in rank order");
            for (int i = s.Start; i < s.Start + s.Count; i++) covered[i]++;
            next = s.Start + s.Count;
            weights += s.Weight(batch);
            counts.Add(s.Count);
        }
        Assert.That(covered, Is.All.EqualTo(1));
        Assert.That(counts.Max() - counts.Min(), Is.LessThanOrEqualTo(1));
        Assert.That(counts.Min(), Is.GreaterThan(0));
        Assert.That(weights, Is.EqualTo(1).Within(1e-15));
    }

    [Test]
    public void BadArgumentsNameTheValues()
    {
        var e = Assert.Throws<ArgumentException>(() => BatchShard.Of(3, 0, 4));
        Assert.That(e!.Message, Does.Contain("3").And.Contain("4"));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchShard.Of(8, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchShard.Of(8, -1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchShard.Of(8, 0, 0));
    }
}

using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Linalg;
using Kfac.Losses;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Curvature;

/// <summary>ConcurrentInverseRefresh: refreshing CPU blocks on several threads (single-threaded kernels, largest
/// first, a dominant block alone) must give the inverses a plain block-by-block refresh gives, and a failing block
/// must not stop the others.</summary>
public class ConcurrentInverseRefreshTests
{
    // Widths chosen so the blocks differ in cost, one (the first, with its 151 x 151 input factor) being worth more
    // than a thread's share, and odd and unit widths among the others.
    private static readonly int[] Sizes = [150, 8, 9, 13, 1, 5];

    private static (List<KroneckerFactoredBlock> Blocks, Tensor[][] Vectors) Blocks(int seed)
    {
        var net = Network(Sizes, Activation.Tanh, seed);
        var captures = Capture(net, new SoftmaxCrossEntropy(), Inputs(11, Sizes[0], seed + 1), FisherEstimation.Exact);
        var blocks = new List<KroneckerFactoredBlock>();
        var rng = new System.Random(seed + 2);
        var vectors = new List<Tensor[]>();
        foreach (var c in captures)
        {
            var b = new KroneckerFactoredBlock((DenseTag)c.Tag);
            b.UpdateStatistics([c], 0.95);
            blocks.Add(b);
            vectors.Add(c.Tag.Parameters.Select(p => Tensor.RandN(p.Shape, rng, dtype: DType.Float64)).ToArray());
        }
        return (blocks, vectors.ToArray());
    }

    [Test]
    public void ConcurrentRefreshEqualsBlockByBlockRefresh()
    {
        var (concurrent, v) = Blocks(seed: 301);
        var (sequential, _) = Blocks(seed: 301);
        Assert.That(concurrent.Max(b => b.InverseCost), Is.GreaterThan(concurrent.Sum(b => b.InverseCost) / 2),
            "one block is worth more than a thread's share (it runs alone)");
        Assert.That(concurrent.Count(b => b.InverseCost > 0), Is.EqualTo(Sizes.Length - 1));

        Assert.That(ConcurrentInverseRefresh.RefreshAll(concurrent, 0.3), Is.Null, "no failures");
        foreach (var b in sequential) b.RefreshInverse(0.3);
        for (int i = 0; i < concurrent.Count; i++)
        {
            Assert.That(concurrent[i].InverseDamping, Is.EqualTo(0.3));
            Assert.That(concurrent[i].Pi, Is.EqualTo(sequential[i].Pi));
            var got = ApplyInverse(concurrent[i], v[i]);
            var expected = ApplyInverse(sequential[i], v[i]);
            Assert.That(RelativeError(got, expected), Is.LessThan(1e-12), $"block {i}");
        }
    }

    [Test]
    public void AFailingBlockIsReportedAndTheOthersStillRefresh()
    {
        var (blocks, v) = Blocks(seed: 311);
        // Block 2's input factor becomes non-finite: its inverse cannot be computed even with more damping.
        var a = blocks[2].StateTensors().First().Value;
        a.Backend.Fill(a, double.NaN);

        var failures = ConcurrentInverseRefresh.RefreshAll(blocks, 0.3);

        Assert.That(failures, Is.Not.Null);
        Assert.That(failures!.Select(f => f.Block), Is.EqualTo(new[] { blocks[2] }));
        Assert.That(failures![0].Error, Is.InstanceOf<NonFiniteMatrixException>());
        Assert.That(blocks[2].HasInverse, Is.False);
        for (int i = 0; i < blocks.Count; i++)
        {
            if (i == 2) continue;
            Assert.That(blocks[i].HasInverse, Is.True, $"block {i} refreshed despite block 2's failure");
            Assert.That(ApplyInverse(blocks[i], v[i]).All(double.IsFinite), Is.True);
        }
    }

    [Test]
    public void EigenbasisBlocksAreNotRefreshedConcurrently()
    {
        var net = Network([3, 4, 2], Activation.Sigmoid, seed: 321);
        Assert.That(new KroneckerFactoredBlock(((Dense)net[0]).Tag).RefreshIsThreadSafe, Is.True);
        Assert.That(new KroneckerFactoredBlock(((Dense)net[0]).Tag, DampingStyle.Eigenbasis).RefreshIsThreadSafe, Is.False);
        Assert.That(new TridiagonalChain([((Dense)net[0]).Tag, ((Dense)net[2]).Tag]).RefreshIsThreadSafe, Is.False);
    }
}

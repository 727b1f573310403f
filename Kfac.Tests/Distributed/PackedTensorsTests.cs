using Kfac.Distributed;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>
/// <see cref="PackedTensors"/> with lower-triangle members (distributed K-FAC's symmetric factors): only the n(n+1)/2
/// elements on and below the diagonal travel, and each receiving tensor comes back whole and symmetric, whatever its
/// strictly upper triangle held; whole members travel as before. Ranks are threads (<see cref="ThreadedCommunicator"/>).
/// </summary>
[NonParallelizable]
public class PackedTensorsTests
{
    private static readonly int[] Sides = [1, 2, 7, 33];

    /// <summary>Rank r's matrix: a symmetric lower triangle of values depending on r, and an upper triangle of
    /// garbage (NaN on odd ranks, huge values on even ones) that must neither travel nor survive.</summary>
    private static double[] RankMatrix(int n, int rank, int salt)
    {
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                m[i * n + j] = j <= i ? Math.Sin(1 + i * 7 + j * 3 + rank * 11 + salt) : rank % 2 == 1 ? double.NaN : 1e30;
        return m;
    }

    private static double Lower(double[] m, int n, int i, int j) => i >= j ? m[i * n + j] : m[j * n + i];

    [Test]
    public void LowerTrianglesAllReduceToTheSymmetricWeightedSum([Values] DType dtype, [Values(2, 3)] int ranks)
    {
        const double scale = 0.25;
        var results = new ThreadedCommunicator.Group(ranks).Run(c =>
        {
            var members = new List<(Tensor, bool)>();
            foreach (int n in Sides) members.Add((Tensor.FromDoubles(RankMatrix(n, c.Rank, n), new Shape(n, n), dtype), true));
            // A whole member between the triangles: every element travels.
            var whole = Enumerable.Range(0, 15).Select(k => Math.Cos(k + c.Rank)).ToArray();
            members.Insert(2, (Tensor.FromDoubles(whole, new Shape(3, 5), dtype), false));
            var message = new PackedTensors(members);
            message.AllReduceSum(c, scale);
            return (message.Elements, Tensors: members.Select(m => m.Item1.ToDoubleArray()).ToArray());
        });
        double tolerance = dtype == DType.Float32 ? 1e-6 : 1e-14;
        long expectedElements = 15 + Sides.Sum(n => (long)n * (n + 1) / 2);
        foreach (var (elements, tensors) in results)
        {
            Assert.That(elements, Is.EqualTo(expectedElements));
            var got = tensors.ToList();
            var wholeGot = got[2];
            got.RemoveAt(2);
            for (int k = 0; k < 15; k++)
                Assert.That(wholeGot[k], Is.EqualTo(scale * Enumerable.Range(0, ranks).Sum(r => Math.Cos(k + r))).Within(tolerance), $"whole member [{k}]");
            for (int s = 0; s < Sides.Length; s++)
            {
                int n = Sides[s];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double want = scale * Enumerable.Range(0, ranks).Sum(r => Lower(RankMatrix(n, r, n), n, i, j));
                        Assert.That(got[s][i * n + j], Is.EqualTo(want).Within(tolerance), $"n = {n}, ({i}, {j})");
                    }
            }
        }
        // Every rank holds the same bits.
        for (int r = 1; r < ranks; r++)
            for (int t = 0; t < results[0].Tensors.Length; t++)
                Assert.That(results[r].Tensors[t], Is.EqualTo(results[0].Tensors[t]), $"rank {r}, tensor {t}");
    }

    [Test]
    public void LowerTrianglesBroadcastTheRootsSymmetricMatrix()
    {
        const int n = 9, root = 1;
        var results = new ThreadedCommunicator.Group(3).Run(c =>
        {
            var t = Tensor.FromDoubles(RankMatrix(n, c.Rank, 5), new Shape(n, n), DType.Float32);
            new PackedTensors([(t, true)]).Broadcast(c, root);
            return t.ToDoubleArray();
        });
        var rootMatrix = RankMatrix(n, root, 5);
        foreach (var got in results)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    Assert.That(got[i * n + j], Is.EqualTo((double)(float)Lower(rootMatrix, n, i, j)), $"({i}, {j})");
    }

    [Test]
    public void ALowerTriangleMustBeASquareMatrix()
    {
        var e = Assert.Throws<ArgumentException>(() => new PackedTensors([(Tensor.Zeros(new Shape(3, 4)), true)]));
        Assert.That(e!.ParamName, Is.EqualTo("members"));
        Assert.That(e.Message, Does.Contain("[3, 4]").And.Contain("square"));
        Assert.Throws<ArgumentException>(() => new PackedTensors([(Tensor.Zeros(new Shape(9)), true)]));
        Assert.DoesNotThrow(() => new PackedTensors([(Tensor.Zeros(new Shape(3, 4)), false)]));
    }
}

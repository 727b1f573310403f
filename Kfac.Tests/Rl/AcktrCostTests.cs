using Kfac.Curvature;
using Kfac.Examples.ReinforcementLearning;
using Kfac.Rl.Algorithms;
using Kfac.Rl.Environments;
using Kfac.Rl.Policies;
using Kfac.Rl.Vector;
using Kfac.Tensors;
using Kfac.Tests.Reliability;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>
/// ACKTR's per-update cost (issue 15): the eigenbasis products allocate nothing after their first use and are
/// exact; an update's curvature path (statistics, preconditioning) allocates at most a small bound of managed bytes
/// after warm-up; the factored-Tikhonov option (<see cref="AcktrOptions.DampingStyle"/>) reaches every block and its
/// shadows and preconditions with K-FAC's pi-damped inverses.
/// </summary>
public class AcktrCostTests
{
    private const int Envs = 4, Steps = 5;

    private static Acktr CartPoleAcktr(int staleness, DampingStyle style = DampingStyle.Eigenbasis)
    {
        var env = new VectorEnvironment(_ => new CartPole(), Envs);
        var policy = ActorCritic.Mlp([4], env.ActionSpace, seed: 5);
        return new Acktr(policy, env, new AcktrOptions
        {
            StepsPerEnv = Steps, ColdUpdates = 0, InverseInterval = 5, InverseStaleness = staleness, DampingStyle = style,
        }, seed: 5);
    }

    /// <summary>A random SPD matrix B B^T / k + 0.1 I of size n (float).</summary>
    private static Tensor Spd(int n, System.Random rng)
    {
        int k = n + 3;
        var b = Tensor.RandN(new Shape(n, k), rng);
        var a = Tensor.Empty(new Shape(n, n));
        a.Backend.Gemm(false, true, n, n, k, 1.0 / k, b, b, 0, a);
        a.Backend.AddToDiagonal(a, n, 0.1);
        return a;
    }

    [Test]
    public void EigenbasisProductIsExactAndAllocatesNothingAfterTheFirst()
    {
        var rng = new System.Random(11);
        const int dA = 7, dG = 5;
        using var scope = TensorScope.Begin();
        var a = Spd(dA, rng);
        var g = Spd(dG, rng);
        const double gamma = 0.3;
        var eigen = EigenbasisFactors.Decompose(a, g, gamma);
        var v = Tensor.RandN(new Shape(dG, dA), rng);
        var u = Tensor.Zeros(new Shape(dG, dA));
        eigen.Apply(v, u, -1);

        // Dense reference: (A (x) G + gamma^2 I) vec(U) = vec(V), vec stacking columns, i.e. G U A + gamma^2 U = V.
        var ad = a.ToDoubleArray();
        var gd = g.ToDoubleArray();
        var ud = u.ToDoubleArray();
        var vd = v.ToDoubleArray();
        for (int r = 0; r < dG; r++)
            for (int c = 0; c < dA; c++)
            {
                double s = gamma * gamma * ud[r * dA + c];
                for (int i = 0; i < dG; i++)
                    for (int j = 0; j < dA; j++) s += gd[r * dG + i] * ud[i * dA + j] * ad[j * dA + c];
                Assert.That(s, Is.EqualTo(vd[r * dA + c]).Within(1e-4 * (1 + Math.Abs(vd[r * dA + c]))), $"(G U A + gamma^2 U)[{r}, {c}]");
            }

        // With a bias column: [W | b] through ApplyWeightBias equals Apply on the joined matrix.
        var w = Tensor.RandN(new Shape(dG, dA - 1), rng);
        var bias = Tensor.RandN(new Shape(dG), rng);
        var wd = w.ToDoubleArray();
        var bd = bias.ToDoubleArray();
        var jd = new double[dG * dA];
        for (int r = 0; r < dG; r++)
        {
            for (int c = 0; c < dA - 1; c++) jd[r * dA + c] = wd[r * (dA - 1) + c];
            jd[r * dA + dA - 1] = bd[r];
        }
        var joined = Tensor.FromDoubles(jd, new Shape(dG, dA), DType.Float32);
        var expected = Tensor.Zeros(joined.Shape);
        eigen.Apply(joined, expected, -1);
        var rw = Tensor.Zeros(w.Shape);
        var rb = Tensor.Zeros(bias.Shape);
        eigen.ApplyWeightBias([w, bias], [rw, rb], dG, dA - 1, -1);
        var ed = expected.ToDoubleArray();
        var rwd = rw.ToDoubleArray();
        var rbd = rb.ToDoubleArray();
        for (int r = 0; r < dG; r++)
        {
            for (int c = 0; c < dA - 1; c++) Assert.That(rwd[r * (dA - 1) + c], Is.EqualTo(ed[r * dA + c]), $"W part [{r}, {c}]");
            Assert.That(rbd[r], Is.EqualTo(ed[r * dA + dA - 1]), $"b part [{r}]");
        }

        // Three windows of 10 products: a per-product allocation shows in every window; a one-off of the runtime (a
        // method tiering up mid-window, seen once in a full test run) in one at most, so the least must be zero.
        Tensor[] vector = [w, bias], result = [rw, rb];
        var windows = new long[3];
        for (int window = 0; window < windows.Length; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                eigen.Apply(v, u, -1);
                eigen.ApplyWeightBias(vector, result, dG, dA - 1, -1);
            }
            windows[window] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.That(windows.Min(), Is.Zero, $"managed bytes allocated by 10 products after the first, per window: {string.Join(", ", windows)}");
    }

    [Test]
    public void EigenbasisProductRejectsAVectorOfTheWrongSize()
    {
        var rng = new System.Random(2);
        using var scope = TensorScope.Begin();
        var eigen = EigenbasisFactors.Decompose(Spd(4, rng), Spd(3, rng), 0.1);
        var e = Assert.Throws<ShapeMismatchException>(() => eigen.Apply(Tensor.Zeros(new Shape(3, 5)), Tensor.Zeros(new Shape(3, 4)), -1))!;
        Assert.That(e.Message, Does.Contain("[3, 5]").And.Contain("3 x 4"));
        Assert.That(e.ParamName, Is.EqualTo("v"));
    }

    [TestCase(0)]
    [TestCase(4)]
    public void CurvaturePathAllocatesAtMostASmallBoundPerUpdateAfterWarmUp(int staleness)
    {
        const int interval = 5, updates = 20;
        var acktr = CartPoleAcktr(staleness);
        acktr.Learn(Envs * Steps * 20); // warm-up: JIT, buffers, scratch, the thread pool, four refreshes
        var timings = acktr.Timings;
        long precondition = timings.AllocatedBytes(AcktrPhase.Precondition), statistics = timings.AllocatedBytes(AcktrPhase.Statistics);
        long first = acktr.Updates;
        var perUpdate = new List<(long K, long Precondition, long Statistics)>();
        acktr.Learn(Envs * Steps * updates, _ =>
        {
            long p = timings.AllocatedBytes(AcktrPhase.Precondition), s = timings.AllocatedBytes(AcktrPhase.Statistics);
            perUpdate.Add((acktr.Updates - 1, p - precondition, s - statistics));
            (precondition, statistics) = (p, s);
        });
        Assert.That(perUpdate, Has.Count.EqualTo(updates));
        int blocks = acktr.Curvature.Blocks.Count;
        Assert.That(blocks, Is.EqualTo(6));
        // What is left per block and update: CurvatureBlock.Parameters builds a list from the tags (their parameter
        // getters are Funcs, so it cannot be cached) and Precondition takes the global gradient norm; no tensors, no
        // intermediates (before this change the preconditioning allocated about 1270 bytes per block and update).
        // With S = 0 an update that refreshes (k % interval == 0) builds the new decomposition's tensors and its
        // first product's scale and scratch: per refresh, not per update, so those updates are left out; with S > 0
        // all of that happens on the background thread.
        // Averages over the updates, so that a one-off growth of a reused list (a tensor scope's, say) does not fail
        // the test, while a per-update allocation (one tensor per product: about 130 bytes per block) does.
        long bound = blocks * 320;
        foreach (var (k, p, s) in perUpdate) TestContext.Out.WriteLine($"update {k}: precondition {p} bytes, statistics {s} bytes");
        var counted = perUpdate.Where(u => staleness > 0 || u.K % interval != 0).ToList();
        Assert.That(perUpdate.Average(u => (double)u.Statistics), Is.LessThanOrEqualTo(bound), "statistics bytes per update");
        Assert.That(counted.Average(u => (double)u.Precondition), Is.LessThanOrEqualTo(bound), "preconditioning bytes per update");
        Assert.That(first, Is.EqualTo(20));
    }

    [TestCase(0)]
    [TestCase(4)]
    public void FactoredDampingReachesEveryBlockAndPreconditionsWithPiDampedInverses(int staleness)
    {
        var acktr = CartPoleAcktr(staleness, DampingStyle.FactoredTikhonov);
        // 11 updates: the last refresh (k = 10) is from the statistics of the last update, so with S = 0 the live
        // factors are the inverted ones; with S = 4 the installed shadows hold the factors of k = 5.
        acktr.Learn(Envs * Steps * 11);
        var curvature = acktr.Curvature;
        Assert.That(curvature.DampingStyle, Is.EqualTo(DampingStyle.FactoredTikhonov));
        Assert.That(curvature.Blocks.Select(b => ((KroneckerBlock)b).Damping), Is.All.EqualTo(DampingStyle.FactoredTikhonov));
        Assert.That(curvature.InverseBlocks.Select(b => ((KroneckerBlock)b).Damping), Is.All.EqualTo(DampingStyle.FactoredTikhonov));
        Assert.That(curvature.Ready, Is.True);

        // One block's product against the dense formula (G + gamma/pi I)^-1 [W | b] (A + pi gamma I)^-1 from its factors.
        var block = (KroneckerBlock)curvature.InverseBlocks[0];
        double gamma = Math.Sqrt(acktr.Options.Damping), pi = block.Pi;
        Assert.That(block.InverseDamping, Is.EqualTo(gamma));
        int dOut = block.OutputFactor.Shape[0], dIn = block.InputFactor.Shape[0];
        var rng = new System.Random(4);
        using var scope = TensorScope.Begin();
        var ps = block.Parameters;
        var v = ps.Select(p => Tensor.RandN(p.Shape, rng)).ToArray();
        var r = ps.Select(Tensor.ZerosLike).ToArray();
        block.MultiplyByDampedPower(v, r, -1);
        // [W | b] and the result as dOut x dIn matrices.
        double[] Joined(Tensor[] parts)
        {
            var wd = parts[0].ToDoubleArray();
            var bd = parts[1].ToDoubleArray();
            var m = new double[dOut * dIn];
            for (int i = 0; i < dOut; i++)
            {
                for (int j = 0; j < dIn - 1; j++) m[i * dIn + j] = wd[i * (dIn - 1) + j];
                m[i * dIn + dIn - 1] = bd[i];
            }
            return m;
        }
        var x = Joined(r);
        var vm = Joined(v);
        var a = block.InputFactor.ToDoubleArray();
        var g = block.OutputFactor.ToDoubleArray();
        // (G + gamma/pi I) X (A + pi gamma I) must give back V.
        for (int i = 0; i < dOut; i++)
            for (int j = 0; j < dIn; j++)
            {
                double s = 0;
                for (int k = 0; k < dOut; k++)
                {
                    double gik = g[i * dOut + k] + (i == k ? gamma / pi : 0);
                    for (int l = 0; l < dIn; l++) s += gik * x[k * dIn + l] * (a[l * dIn + j] + (l == j ? pi * gamma : 0));
                }
                Assert.That(s, Is.EqualTo(vm[i * dIn + j]).Within(2e-3 * (1 + Math.Abs(vm[i * dIn + j]))), $"[{i}, {j}]");
            }
    }

    [Test]
    public void AnUndefinedDampingStyleIsRefusedByName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AcktrOptions { DampingStyle = (DampingStyle)7 }.Validate())!;
        Assert.That(e.ParamName, Is.EqualTo(nameof(AcktrOptions.DampingStyle)));
    }

    [Test]
    [NonParallelizable]
    public void TheExampleTakesTheDampingStyleAndRefusesAnUnknownOne()
    {
        using var dir = ReliabilityFixture.TempDir();
        ExampleEntryRunner.AssertUserError(ExampleEntryRunner.Run(ReinforcementLearningCommand.Create(), "--algo acktr --damping-style cholesky", dir.Path),
            "--damping-style must be eigenbasis or factored; got 'cholesky'");
        var run = ExampleEntryRunner.Run(ReinforcementLearningCommand.Create(), "--env CartPole-v1 --algo acktr --damping-style factored --timesteps 400 --envs 2 --log-every 200", dir.Path);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Out + run.Error);
    }
}

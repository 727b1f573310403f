using System.Diagnostics;
using System.Globalization;
using Kfac.Data;
using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;
using Kfac.Training.Distributed;

namespace Kfac.Tests.Mpi;

/// <summary>
/// Distributed K-FAC checks run by every rank: the classifier of <see cref="DataParallelCheck"/> (MLP 10-32-16-4,
/// tanh, softmax cross-entropy) trained by <see cref="DistributedKfacStep"/> on each rank's shard, with all of K-FAC's
/// adaptation on short schedules (lambda judged every step, gamma searched every 6 steps, inverses every 3, sampled
/// Fisher statistics every step, momentum), next to a reference replica stepped by a plain <see cref="KfacOptimizer"/>
/// on the whole batch. After every step the ranks all-gather a hash of their weights and of the step's decisions
/// (loss, lambda, gamma, alpha, mu, rho); at the end, each block's refresh count on every rank.
/// </summary>
public static class DistributedKfacCheck
{
    public sealed record KfacResult(
        double MaxWeightDiff, double MaxAbsWeight, double MaxLossDiff, double MaxLambdaRatio, bool Identical, bool DecisionsIdentical,
        int Rejections, int GammaChanges, long[] RefreshCounts, long[] ReferenceRefreshCounts, int[] Owners, bool[] Broadcastable,
        double Seconds, double CommunicationSeconds, int MaxInverseAge);

    /// <summary>The schedule; <paramref name="staleness"/> > 0 makes the inverses asynchronous (then T3 = 4, so that S
    /// can be up to 3).</summary>
    public static KfacOptions Options(int staleness = 0) => new()
    {
        InitialLambda = 10, LambdaInterval = 1, GammaRule = GammaRule.Search, GammaInterval = 6, InverseInterval = staleness > 0 ? 4 : 3,
        StatisticsInterval = 1, Decay = 0.95, Seed = 5, InverseStaleness = staleness,
    };

    public static int Train(ICommunicator c, WorkerOptions o)
    {
        var r = Measure(c, o);
        if (c.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT ranks={c.Size} steps={o.Steps} batch={o.BatchSize} statistics={o.Statistics} inverses={o.Inverses} staleness={o.Staleness} max_inverse_age={r.MaxInverseAge} max_weight_diff={r.MaxWeightDiff:E3} max_abs_weight={r.MaxAbsWeight:F3} max_loss_diff={r.MaxLossDiff:E3} max_lambda_ratio={r.MaxLambdaRatio:E3} identical={r.Identical} decisions_identical={r.DecisionsIdentical} rejections={r.Rejections} gamma_changes={r.GammaChanges} refreshes_ok={o.Staleness > 0 || RefreshesAsAssigned(r, c.Size, o.Inverses)} seconds={r.Seconds:F2} communication_seconds={r.CommunicationSeconds:F3}"));
        return 0;
    }

    /// <summary>Whether every block's inverse was computed exactly as often as the reference computed it, and only on
    /// its owner (replicated: on every rank). <paramref name="r"/>.RefreshCounts is rank-major: [rank * blocks + b].</summary>
    public static bool RefreshesAsAssigned(KfacResult r, int ranks, string inverses)
    {
        int blocks = r.ReferenceRefreshCounts.Length;
        for (int b = 0; b < blocks; b++)
        {
            if (r.ReferenceRefreshCounts[b] == 0) return false;
            for (int rank = 0; rank < ranks; rank++)
            {
                bool computes = inverses == "replicated" || !r.Broadcastable[b] || r.Owners[b] == rank;
                long expected = computes ? r.ReferenceRefreshCounts[b] : 0;
                if (r.RefreshCounts[rank * blocks + b] != expected) return false;
            }
        }
        return true;
    }

    public static DistributedKfacOptions ParseOptions(WorkerOptions o) => new()
    {
        Statistics = o.Statistics switch
        {
            "eager" => StatisticsReduction.Eager,
            "lazy" => StatisticsReduction.Lazy,
            _ => throw new ArgumentException($"--statistics must be eager or lazy; got '{o.Statistics}'"),
        },
        Inverses = o.Inverses switch
        {
            "replicated" => InversePlacement.Replicated,
            "inverses" => InversePlacement.BroadcastInverses,
            "directions" => InversePlacement.BroadcastDirections,
            _ => throw new ArgumentException($"--inverses must be replicated, inverses or directions; got '{o.Inverses}'"),
        },
    };

    /// <summary>Trains <see cref="WorkerOptions.Steps"/> distributed K-FAC steps next to the whole-batch reference
    /// (collective: every rank calls it).</summary>
    public static KfacResult Measure(ICommunicator c, WorkerOptions o)
    {
        var (inputs, labels) = DataParallelCheck.SyntheticData(DataParallelCheck.Examples, DataParallelCheck.Features, DataParallelCheck.Classes);
        using var loader = new DataLoader(inputs, labels, o.BatchSize, shuffle: true, seed: 11, dropLast: true);
        int[] sizes = [DataParallelCheck.Features, 32, 16, DataParallelCheck.Classes];
        var model = Mlp.Create(sizes, Activation.Tanh, seed: 3);
        var referenceModel = Mlp.Create(sizes, Activation.Tanh, seed: 3);
        var loss = new SoftmaxCrossEntropy();
        var parallel = new DistributedKfacStep(model, new KfacOptimizer(model.Parameters(), loss, Options(o.Staleness)), c, ParseOptions(o));
        var reference = new KfacStep(referenceModel, new KfacOptimizer(referenceModel.Parameters(), loss, Options(o.Staleness)));
        double maxDiff = 0, maxWeight = 0, maxLossDiff = 0, maxLambdaRatio = 0;
        bool identical = true, decisionsIdentical = true;
        int gammaChanges = 0;
        double lastGamma = double.NaN;
        var clock = Stopwatch.StartNew();
        int done = 0;
        for (int epoch = 0; done < o.Steps; epoch++)
            foreach (var batch in loader.Epoch(epoch))
            {
                if (done == o.Steps) break;
                done++;
                using var scope = TensorScope.Begin();
                var t = SoftmaxOps.OneHot(batch.Labels!, DataParallelCheck.Classes);
                parallel.Step(batch.Inputs, t);
                reference.Step(batch.Inputs, t);
                var p = parallel.Last!;
                var q = reference.Last!;
                maxLossDiff = Math.Max(maxLossDiff, Math.Abs(p.Loss - q.Loss));
                maxLambdaRatio = Math.Max(maxLambdaRatio, Math.Abs(Math.Log(p.Lambda / q.Lambda)));
                if (!double.IsNaN(lastGamma) && p.Gamma != lastGamma) gammaChanges++;
                lastGamma = p.Gamma;
                var (diff, weight) = Compare(model.Parameters(), referenceModel.Parameters());
                maxDiff = Math.Max(maxDiff, diff);
                maxWeight = Math.Max(maxWeight, weight);
                var hashes = c.AllGather<ulong>([CommunicatorContract.HashOf(model.Parameters())]);
                foreach (var h in hashes) identical &= h == hashes[0];
                var decisions = c.AllGather<double>([p.Loss, p.Lambda, p.Gamma, p.Alpha, p.Mu, p.Rho, p.Rejected ? 1 : 0]);
                for (int r = 1; r < c.Size; r++)
                    for (int k = 0; k < 7; k++)
                        decisionsIdentical &= BitConverter.DoubleToInt64Bits(decisions[r * 7 + k]) == BitConverter.DoubleToInt64Bits(decisions[k]);
            }
        var blocks = parallel.Optimizer.Blocks;
        var counts = c.AllGather<long>(blocks.Select(b => b.RefreshCount).ToArray());
        var owners = parallel.Optimizer.InverseOwners?.ToArray() ?? new int[blocks.Count];
        return new KfacResult(maxDiff, maxWeight, maxLossDiff, maxLambdaRatio, identical, decisionsIdentical,
            (int)parallel.Optimizer.Rejections, gammaChanges, counts, reference.Optimizer.Blocks.Select(b => b.RefreshCount).ToArray(), owners,
            blocks.Select(b => b.InverseIsBroadcastable).ToArray(), clock.Elapsed.TotalSeconds, parallel.Optimizer.Communication.Total,
            parallel.Optimizer.MaxInverseAge);
    }

    /// <summary>Max |a - b| over all weights, and max |a|.</summary>
    private static (double Diff, double Weight) Compare(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b)
    {
        double diff = 0, weight = 0;
        for (int i = 0; i < a.Count; i++)
        {
            var x = a[i].ToArray<float>();
            var y = b[i].ToArray<float>();
            for (int j = 0; j < x.Length; j++)
            {
                diff = Math.Max(diff, Math.Abs(x[j] - y[j]));
                weight = Math.Max(weight, Math.Abs(x[j]));
            }
        }
        return (diff, weight);
    }
}

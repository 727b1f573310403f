using System.Globalization;
using Kfac.Distributed;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training.Distributed;

namespace Kfac.Tests.Mpi;

/// <summary>
/// Batch norm under data parallelism, run by every rank: each rank normalises with its own shard's statistics (PyTorch
/// DDP without SyncBatchNorm) and the running statistics are averaged over the ranks after every step, so the replicas
/// stay bit-identical. The oracle for the average: with batch norm first, on the raw inputs, a step's only
/// graph-recording training pass over rank r's shard X_r moves running_mean from 0 to m mean(X_r) and running_var from
/// 1 to (1 - m) + m var_unbiased(X_r); the ranks must then hold the mean of those over r, computed here in double from
/// the batch. After every step the ranks all-gather a hash of their parameters and buffers.
/// </summary>
public static class BatchNormCheck
{
    public const int Features = 5, Classes = 3, Batch = 24;
    public const double Momentum = 0.25;

    /// <summary>Hashes equal on every rank after every step; the largest error of the running mean and variance after
    /// step 1 against the oracle; steps accepted.</summary>
    public sealed record Result(bool Identical, double FirstMeanError, double FirstVarError, int Accepted, int Steps, bool Finite);

    /// <summary>The model: batch norm on the inputs, then an MLP 5-7-3 (tanh).</summary>
    public static Sequential NewModel() => new(
        new BatchNorm(Features, momentum: Momentum),
        new Dense(Features, 7, rng: new Random(3)),
        Activations.Create(Activation.Tanh),
        new Dense(7, Classes, rng: new Random(4)));

    /// <summary>Batch k: its two halves differ in mean and scale, so unsynchronised shard statistics would differ.</summary>
    public static (Tensor X, Tensor T) BatchFor(int k)
    {
        var rng = new Random(100 + k);
        var x = new float[Batch * Features];
        for (int i = 0; i < Batch; i++)
            for (int j = 0; j < Features; j++)
                x[i * Features + j] = (float)((i < Batch / 2 ? 1.0 : 3.0) * (rng.NextDouble() * 2 - 1) + (i < Batch / 2 ? -1 : 2) + 0.3 * j);
        var labels = Enumerable.Range(0, Batch).Select(_ => rng.Next(Classes)).ToArray();
        return (Tensor.FromArray(x, new Shape(Batch, Features)), SoftmaxOps.OneHot(labels, Classes));
    }

    /// <summary>After one step from running statistics (0, 1): the mean over the equal shards of m mean(X_r) and of
    /// (1 - m) + m var_unbiased(X_r), feature by feature.</summary>
    public static (double[] Mean, double[] Var) ExpectedAfterOneStep(Tensor x, int ranks)
    {
        if (Batch % ranks != 0) throw new ArgumentException($"the oracle needs equal shards: batch {Batch} over {ranks} ranks", nameof(ranks));
        var data = x.ToArray<float>();
        int rows = Batch / ranks;
        var mean = new double[Features];
        var variance = new double[Features];
        for (int r = 0; r < ranks; r++)
            for (int j = 0; j < Features; j++)
            {
                double s = 0, ss = 0;
                for (int i = r * rows; i < (r + 1) * rows; i++) s += data[i * Features + j];
                double mu = s / rows;
                for (int i = r * rows; i < (r + 1) * rows; i++) ss += Math.Pow(data[i * Features + j] - mu, 2);
                mean[j] += Momentum * mu / ranks;
                variance[j] += ((1 - Momentum) + Momentum * ss / (rows - 1)) / ranks;
            }
        return (mean, variance);
    }

    /// <summary><paramref name="steps"/> steps of distributed K-FAC ("kfac") or data-parallel momentum SGD ("momentum").</summary>
    public static Result Measure(ICommunicator c, string optimizer, int steps)
    {
        var model = NewModel();
        model.Train();
        var bn = (BatchNorm)model.Layers[0];
        Func<Tensor, Tensor, double> step = optimizer switch
        {
            "kfac" => new DistributedKfacStep(model, new KfacOptimizer(model.Parameters(), new SoftmaxCrossEntropy(),
                new KfacOptions { InitialLambda = 1, InverseInterval = 2 }), c).Step,
            "momentum" => new DataParallelStep(model, new SoftmaxCrossEntropy(),
                new Sgd(model.Parameters(), new SgdOptions { LearningRate = 0.05, Momentum = 0.9 }), "momentum", c).Step,
            _ => throw new ArgumentException($"optimizer must be kfac or momentum; got '{optimizer}'", nameof(optimizer)),
        };
        bool identical = true;
        double meanError = double.NaN, varError = double.NaN;
        int accepted = 0;
        for (int k = 0; k < steps; k++)
        {
            using var scope = TensorScope.Begin();
            var (x, t) = BatchFor(k);
            if (!double.IsNaN(step(x, t))) accepted++;
            if (k == 0)
            {
                var (mean, variance) = ExpectedAfterOneStep(x, c.Size);
                var gotMean = bn.RunningMean.ToArray<float>();
                var gotVar = bn.RunningVar.ToArray<float>();
                meanError = Enumerable.Range(0, Features).Max(j => Math.Abs(gotMean[j] - mean[j]));
                varError = Enumerable.Range(0, Features).Max(j => Math.Abs(gotVar[j] - variance[j]));
            }
            var state = model.Parameters().Concat(model.NamedBuffers().Select(b => b.Buffer)).ToList();
            var hashes = c.AllGather<ulong>([CommunicatorContract.HashOf(state)]);
            foreach (var h in hashes) identical &= h == hashes[0];
        }
        bool finite = model.Parameters().All(p => p.ToArray<float>().All(float.IsFinite));
        return new Result(identical, meanError, varError, accepted, steps, finite);
    }

    /// <summary>The worker's "batchnorm --optimizer kfac|momentum --steps N": prints a RESULT line on rank 0.</summary>
    public static int Train(ICommunicator c, WorkerOptions o)
    {
        var r = Measure(c, o.Optimizer, o.Steps);
        if (c.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT ranks={c.Size} optimizer={o.Optimizer} steps={r.Steps} accepted={r.Accepted} identical={r.Identical} first_mean_error={r.FirstMeanError:E3} first_var_error={r.FirstVarError:E3} finite={r.Finite}"));
        return 0;
    }
}

using System.Diagnostics;
using Kfac.Bayes;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Examples.BayesianRegression;

public sealed record RunOptions
{
    public required string Method { get; init; }
    public int Epochs { get; init; } = 1000;
    public int BatchSize { get; init; } = 10;
    public int Hidden { get; init; } = 50;
    public int Particles { get; init; } = 10;
    public double LearningRate { get; init; } = 0.01;
    public double KlWeight { get; init; } = 1;
    public double PriorVariance { get; init; } = 1;
    public double ExtrinsicDamping { get; init; }
    public double StatisticsBeta { get; init; } = 1e-3;
    public int InverseInterval { get; init; } = 10;
    public double BbbInitialSigma { get; init; } = 1e-3;
    public int TestSamples { get; init; } = 100;
    public bool MiniBatchFisher { get; init; }
    /// <summary>BBB: local reparameterisation (per-example pre-activation noise) instead of weight sampling.</summary>
    public bool BbbLocal { get; init; }
    /// <summary>Adam step of the Gamma noise posterior, held constant (the authors' code: 1e-3, not decayed); null:
    /// <see cref="LearningRate"/>, decayed with it.</summary>
    public double? NoiseLearningRate { get; init; }
    /// <summary>Noisy K-FAC: factors start at the identity with a plain EMA (the authors' code).</summary>
    public bool IdentityFactors { get; init; }
    /// <summary>Noisy K-FAC: beta / 10 with the learning rates at half time (the authors' code).</summary>
    public bool DecayBeta { get; init; }
    /// <summary>Noisy K-FAC: how gamma_in enters the posterior covariance (factored, the paper's; or eigenbasis).</summary>
    public Kfac.Bayes.PosteriorDamping PosteriorDamping { get; init; }
    /// <summary>Noisy K-FAC: the KL clip kappa of the mean update (+infinity: none).</summary>
    public double KlClip { get; init; } = Kfac.Bayes.NoisyKfac.DefaultKlClip;
    public int Seed { get; init; }
}

/// <summary>One split of the UCI protocol: a 1-hidden-layer ReLU network trained by the chosen method with the
/// Gamma noise model, then evaluated by Monte Carlo over the posterior.</summary>
public static class RegressionRun
{
    /// <param name="SkippedSteps">steps whose loss or gradient was not finite at some particle (nothing moved).</param>
    /// <param name="RmseAtMean">test RMSE of the posterior MEAN network (no weight sampling; the noise posterior still
    /// sampled for <paramref name="LogLikelihoodAtMean"/>): separates the mean's fit from the predictive averaging.
    /// NaN for the point estimate, whose prediction it is.</param>
    public sealed record Result(double Rmse, double LogLikelihood, double Seconds, long Iterations, double FinalElbo, int SkippedSteps,
        double RmseAtMean = double.NaN, double LogLikelihoodAtMean = double.NaN);

    /// <param name="elboLog">receives (epoch, iteration, ELBO estimate averaged over the epoch's mini-batches).</param>
    /// <param name="testLog">receives (epoch, test predictions) every <paramref name="testEvery"/> epochs: the test
    /// learning curve (the authors' code evaluates every 10 epochs). Its draws come from their own generator, so
    /// logging it does not change the training run.</param>
    public static Result Run(Split split, RunOptions o, int splitIndex, Action<int, long, ElboEstimate>? elboLog,
        Action<int, RegressionPrediction>? testLog = null, int testEvery = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(testEvery);
        int n = split.TrainY.Length, d = split.TrainX[0].Length;
        int seed = StableSeed.Combine(o.Seed, splitIndex);
        var model = Mlp.Create([d, o.Hidden, 1], Activation.Relu, seed: seed, dtype: DType.Float64);
        Func<Tensor, Tensor> forward = model.Forward;
        var options = new VariationalOptions
        {
            TrainingSetSize = n,
            KlWeight = o.KlWeight,
            PriorVariance = o.PriorVariance,
            LearningRate = o.LearningRate,
            Particles = o.Method == "adam" ? 1 : o.Particles,
            Seed = seed,
        };
        VariationalOptimizer opt = o.Method switch
        {
            "noisy-kfac" => new NoisyKfac(NoisyKfac.DiscoverLayers(forward, Tensor.Zeros(new Shape(1, d), DType.Float64)), options,
                statisticsDecay: 1 - o.StatisticsBeta, extrinsicDamping: o.ExtrinsicDamping, inverseInterval: o.InverseInterval,
                identityInitialFactors: o.IdentityFactors, posteriorDamping: o.PosteriorDamping, klClip: o.KlClip),
            "noisy-adam" => new NoisyAdam(model.Parameters(), options, extrinsicDamping: o.ExtrinsicDamping,
                layers: NoisyKfac.DiscoverLayers(forward, Tensor.Zeros(new Shape(1, d), DType.Float64)),
                fisher: o.MiniBatchFisher ? FisherDiagonalEstimate.MiniBatchSquare : FisherDiagonalEstimate.PerExample),
            "bbb" => new BayesByBackprop(model.Parameters(), options, o.BbbInitialSigma,
                localReparameterisation: o.BbbLocal ? NoisyKfac.DiscoverLayers(forward, Tensor.Zeros(new Shape(1, d), DType.Float64)) : null),
            "adam" => new PointEstimateAdam(model.Parameters(), options),
            _ => throw new ArgumentException($"--method: unknown '{o.Method}' (noisy-kfac | noisy-adam | bbb | adam)"),
        };
        var noise = new GammaNoise(6, 6, o.NoiseLearningRate ?? o.LearningRate);
        var rng = new Random(seed);
        var order = Enumerable.Range(0, n).ToArray();
        var xb = new double[o.BatchSize * d];
        var yb = new double[o.BatchSize];
        var h = new double[o.BatchSize];
        long iterations = 0;
        double finalElbo = double.NaN;
        var testX = Tensor.FromDoubles(split.TestX.SelectMany(r => r).ToArray(), new Shape(split.TestX.Length, d), DType.Float64);
        int samples = o.Method == "adam" ? 1 : o.TestSamples;
        var curveRng = new Random(seed + 2);
        var clock = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            if (epoch == o.Epochs / 2 + 1)
            {
                SetLearningRate(opt, o.NoiseLearningRate is null ? noise : null, o.LearningRate / 10); // the authors' decay at half time
                if (o.DecayBeta && opt is NoisyKfac nk) nk.StatisticsDecay = 1 - o.StatisticsBeta / 10;
            }
            rng.Shuffle(order);
            double elboSum = 0, ellSum = 0;
            int batches = 0;
            for (int start = 0; start + o.BatchSize <= n; start += o.BatchSize)
            {
                int m = o.BatchSize;
                for (int i = 0; i < m; i++)
                {
                    int r = order[start + i];
                    Array.Copy(split.TrainX[r], 0, xb, i * d, d);
                    yb[i] = split.TrainY[r];
                }
                using var scope = TensorScope.Begin();
                var x = Tensor.FromDoubles(xb, new Shape(m, d), DType.Float64);
                var y = Tensor.FromDoubles(yb, new Shape(m, 1), DType.Float64);
                double sumSq = 0;
                var loss = new SquaredError(1 / noise.ExpectedPrecision);
                var step = opt.Step(forward, x, y, loss, output =>
                {
                    output.AsSpan<double>().CopyTo(h);
                    for (int i = 0; i < m; i++) sumSq += (h[i] - yb[i]) * (h[i] - yb[i]);
                });
                iterations++;
                if (!step.Applied) continue;
                sumSq /= options.Particles;
                noise.Update(sumSq / m, n);
                if (elboLog is not null || epoch == o.Epochs)
                {
                    var e = ElboEstimate.Regression(noise, opt.Posterior, sumSq, m, n);
                    elboSum += e.Value;
                    ellSum += e.ExpectedLogLikelihood;
                    batches++;
                    if (elboLog is not null && start + 2 * o.BatchSize > n)
                        elboLog(epoch, iterations, new ElboEstimate(ellSum / batches, e.WeightKl, e.NoiseKl));
                }
            }
            if (epoch == o.Epochs && batches > 0) finalElbo = elboSum / batches;
            if (testLog is not null && epoch % testEvery == 0)
            {
                clock.Stop();
                testLog(epoch, PredictiveMonteCarlo.Regression(forward, opt.Posterior, noise, testX, split.TestY, split.TargetMean, split.TargetStd, samples, curveRng));
                clock.Start();
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var p = PredictiveMonteCarlo.Regression(forward, opt.Posterior, noise, testX, split.TestY, split.TargetMean, split.TargetStd, samples, new Random(seed + 1));
        if (o.Method == "adam") return new Result(p.Rmse, p.LogLikelihood, seconds, iterations, finalElbo, opt.SkippedSteps);
        // Between steps the network holds the posterior mean (every sampled pass restores it).
        var atMean = PredictiveMonteCarlo.Regression(forward, new PointMassPosterior(model.Parameters()), noise, testX, split.TestY,
            split.TargetMean, split.TargetStd, samples, new Random(seed + 3));
        return new Result(p.Rmse, p.LogLikelihood, seconds, iterations, finalElbo, opt.SkippedSteps, atMean.Rmse, atMean.LogLikelihood);
    }

    private static void SetLearningRate(VariationalOptimizer opt, GammaNoise? noise, double lr)
    {
        if (noise is not null) noise.LearningRate = lr;
        switch (opt)
        {
            case NoisyKfac k: k.LearningRate = lr; break;
            case NoisyAdam a: a.LearningRate = lr; break;
            case BayesByBackprop b: b.LearningRate = lr; break;
            case PointEstimateAdam p: p.LearningRate = lr; break;
        }
    }
}

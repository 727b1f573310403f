using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Training;

namespace Kfac.Examples;

/// <summary>
/// An example's defaults, declared once: the mini-batch sizes and the options records of the optimizers it offers.
/// Everything not set here is the options records' own default (<see cref="KfacOptions"/>, <see cref="SgdOptions"/>,
/// <see cref="AdamOptions"/>); <see cref="ExampleCommand"/> shows these values in --help and a flag given on the
/// command line replaces exactly the field it names. The examples' own defaults are the static properties below, so
/// that a test can pin what each example builds with no flags.
/// </summary>
public sealed record ExampleDefaults
{
    /// <summary>Momentum of the examples' "momentum" and "nesterov" SGD (SgdOptions' own default is 0: plain SGD).</summary>
    public const double SgdMomentum = 0.9;

    /// <summary>The mini-batch size of the first-order optimizers (and of K-FAC unless <see cref="KfacBatch"/> is set).</summary>
    public required int Batch { get; init; }

    /// <summary>K-FAC's mini-batch size, when it differs from <see cref="Batch"/>.</summary>
    public int? KfacBatch { get; init; }

    /// <summary>Options of "sgd", "momentum" and "nesterov" ("sgd" runs them without momentum).</summary>
    public SgdOptions Sgd { get; init; } = new() { Momentum = SgdMomentum };

    /// <summary>Options of "adam".</summary>
    public AdamOptions Adam { get; init; } = new();

    /// <summary>Options of "kfac".</summary>
    public KfacOptions Kfac { get; init; } = new();

    /// <summary>Options of distributed K-FAC (--distributed mpi --optimizer kfac): when the statistics are reduced and
    /// where the inverses are computed; the library's own unless an example sets them.</summary>
    public DistributedKfacOptions DistributedKfac { get; init; } = new();

    /// <summary>At most this many rows of each batch for K-FAC's curvature statistics, quadratic model and reduction
    /// ratio rho: the fractions of <see cref="Kfac"/> apply up to it, so a larger batch spends its extra rows on the
    /// gradient only (0: no cap). --curvature-rows-max on the command line.</summary>
    public int CurvatureRowsMax { get; init; }

    /// <summary>At least this many rows of each batch (the whole batch when it is smaller) for K-FAC's curvature
    /// statistics, quadratic model and rho: the fractions of <see cref="Kfac"/> are raised to it where they would take
    /// fewer, because the quadratic model's 2 x 2 solve on a few dozen rows returns momenta far outside [0, 1] and
    /// blows the training up (0: no floor). --curvature-rows-min on the command line.</summary>
    public int CurvatureRowsMin { get; init; }

    /// <summary>The K-FAC options for a batch of <paramref name="batch"/> rows: each curvature fraction raised to
    /// <paramref name="rowsMin"/> / batch (at most 1) where it would take fewer rows, then lowered to
    /// <paramref name="rowsMax"/> / batch where it would take more (0: no floor, no cap; the examples pass
    /// <see cref="CurvatureRowsMin"/> and <see cref="CurvatureRowsMax"/> or --curvature-rows-min / -max).</summary>
    public static KfacOptions BoundCurvatureRows(KfacOptions kfac, int batch, int rowsMin, int rowsMax)
    {
        ArgumentNullException.ThrowIfNull(kfac);
        double Bound(double fraction)
        {
            if (rowsMin > 0 && fraction * batch < rowsMin) fraction = Math.Min(1.0, (double)rowsMin / batch);
            if (rowsMax > 0 && fraction * batch > rowsMax) fraction = (double)rowsMax / batch;
            return fraction;
        }
        return kfac with
        {
            StatisticsFraction = Bound(kfac.StatisticsFraction),
            QuadraticModelFraction = Bound(kfac.QuadraticModelFraction),
            RhoFraction = Bound(kfac.RhoFraction),
        };
    }

    /// <summary>The default batch of optimizer <paramref name="optimizer"/>.</summary>
    public int BatchFor(string optimizer) => optimizer == OptimizerNames.Kfac ? KfacBatch ?? Batch : Batch;

    /// <summary>ConvNet (docs/BENCHMARKS.md, ConvNet): first-order optimizers at batch 128 (momentum SGD tuned to lr 0.03,
    /// Adam to 1e-3); KFC at batch 256 with statistics and the quadratic model on a quarter of it (64 rows) and lambda
    /// kept >= 0.01 (a softmax output's Fisher has rank 9 per example, so a 64-row quadratic model alone would drive
    /// the damping to zero). Gamma by the section-6.6 search (free to fall below sqrt(lambda), to 0.004 by step 300:
    /// tied to lambda it stays >= sqrt(0.01) = 0.1) and an implausible quadratic-model step shortened, not rejected:
    /// seed 0 reached 91.1% test accuracy at step 255 (tied + reject: 0.895 at step 240; BENCHMARKS, stop 14).</summary>
    public static ExampleDefaults ConvNet { get; } = new()
    {
        Batch = 128,
        KfacBatch = 256,
        Sgd = new() { LearningRate = 0.03, Momentum = SgdMomentum },
        Kfac = new()
        {
            InitialLambda = 1, StatisticsFraction = 0.25, QuadraticModelFraction = 0.25, MinLambda = 0.01,
            GammaRule = GammaRule.Search, ImplausibleStep = ImplausibleStepRule.Shrink,
        },
    };

    /// <summary>Autoencoder (docs/BENCHMARKS.md, Damping defaults and stop 25): batch 1000; K-FAC's statistics and quadratic
    /// model on an eighth of each batch and inverses every 10 steps (stop 25, seeds 0-2: train error 6.5 in 180 / 206 / 186
    /// steps against 192 / 228 / 204 with a quarter of the batch and inverses every 20, at 0.88x the time per step: 0.80x
    /// the time to that error; a sixteenth of the batch needed 206 / 240 / 212); momentum SGD (0.9) tuned to lr 0.01 on the validation split (stop 15: 1e-3 / 3e-3 /
    /// 1e-2 over seeds 0-2, 2000 steps: mean validation error 16.9 / 14.5 / 14.1; 3e-2 stalls at the mean image),
    /// Adam to 1e-3. K-FAC's initial damping lambda0 = 0.15 (stop 24: momentum's final train error reached in 74 / 92 / 80
    /// steps over seeds 0-2 against 172 / 186 / 174 with the paper's 150, and 5.66-5.89 at step 330 against 6.21-6.34;
    /// 0.15 was also the best of 0.015-1500 to train error 25 at every batch size from 500 to 16000). The reduction ratio
    /// rho on the quadratic model's eighth too (stop 32, seeds 0-2: momentum's final error, 7.0 and 6.5 at the same steps as
    /// with the whole batch, 66 / 80 / 68, 144 / 170 / 154 and 180 / 206 / 186; train error 5.60 / 5.82 / 5.68 at step 330
    /// against 5.60 / 5.82 / 5.64), which takes its forward pass every T1 steps from about 3 ms per step to 0.5.
    /// At most 125 curvature rows (an eighth of the default batch; stop 36): at batch 4000 the statistics, quadratic
    /// model and rho on 125 rows instead of 500 made the step 0.86x as long and reached train error 15 ... 5.5 4-20%
    /// sooner in time on seeds 0-2 (0-12% more steps); at batch 8000 4-17% sooner down to 5.5, the steps lost growing
    /// as the error falls; at batch 1000 and below nothing changes. At least 125 as well (stop 38): with 62 rows (1/16 of
    /// batch 1000, 1/8 of batch 500) or 31 the quadratic model's momentum left [0, 1] (-6.9 ... 283) and the train
    /// error climbed back (5.6 -> 22.1 at batch 1000 before the target-entropy guard, 7.3 with it); 125 rows kept it
    /// within [-1.4, 1.8] on seed 0 at batch 500 (seed 1 reached -15.6 and 6.0, which KfacOptions.MomentumLimit now
    /// bounds) and needed fewer steps below train error 7.</summary>
    public static ExampleDefaults Autoencoder { get; } = new()
    {
        Batch = 1000,
        CurvatureRowsMin = 125,
        CurvatureRowsMax = 125,
        Sgd = new() { LearningRate = 0.01, Momentum = SgdMomentum },
        Kfac = new() { InitialLambda = 0.15, StatisticsFraction = 0.125, QuadraticModelFraction = 0.125, RhoFraction = 0.125, InverseInterval = 10 },
    };

    /// <summary>Classifier (docs/BENCHMARKS.md, Damping defaults): first-order optimizers at batch 100 (SGD lr 0.05, Adam
    /// 1e-3); K-FAC at batch 200 (one epoch: test accuracy 0.875 / 0.874 / 0.877 over seeds 0-2, against 0.866-0.872 at
    /// batch 100 and 0.869-0.873 at 300 and 500), lambda0 = 1, inverses every 5 steps.</summary>
    public static ExampleDefaults Classifier { get; } = new()
    {
        Batch = 100,
        KfacBatch = 200,
        Sgd = new() { LearningRate = 0.05, Momentum = SgdMomentum },
        Kfac = new() { InitialLambda = 1, InverseInterval = 5 },
    };

    /// <summary>Tabular: batch 128, SGD lr 0.05, Adam 1e-3, K-FAC with lambda0 = 1 (the default 150 is the autoencoder's).</summary>
    public static ExampleDefaults Tabular { get; } = new()
    {
        Batch = 128,
        Sgd = new() { LearningRate = 0.05, Momentum = SgdMomentum },
        Kfac = new() { InitialLambda = 1 },
    };
}

using Kfac.Curvature;
using Kfac.Data;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;

namespace Kfac.Bench;

/// <summary>
/// The talk's "quality of the approximate Fisher" as numbers: a small classifier (Fashion-MNIST downsampled to
/// 7x7, 49-20-20-10 tanh, float64) at initialisation and after some K-FAC training; for each, the relative
/// Frobenius error of the block-diagonal and block-tridiagonal approximations against the exact Fisher, and of
/// their inverses against the exact damped inverse (CurvatureDiagnostics.Compare).
/// </summary>
internal sealed class FisherQualityBench : IBenchCommand
{
    public string Name => "fisher-quality";

    public string Description => "approximate vs exact Fisher on a small net: --examples N --train-steps N --gamma G";

    public int Run(BenchArgs args)
    {
        int m = args.Int("examples", 300);
        int trainSteps = args.Int("train-steps", 60);
        double gamma = args.Double("gamma", 0.03);
        bool json = args.Flag("json");
        var data = FashionMnist.LoadEmbedded().Train;
        var x = Downsample(data.Inputs, m);
        var t = SoftmaxOps.OneHot(data.Labels.AsSpan(0, m), 10, DType.Float64);
        var net = Mlp.Create([49, 20, 20, 10], Activation.Tanh, seed: 1, dtype: DType.Float64);
        var loss = new SoftmaxCrossEntropy();

        Report("initialisation", 0);
        var kfac = new KfacOptimizer(net.Parameters(), loss, new KfacOptions { InitialLambda = 1 });
        for (int s = 0; s < trainSteps; s++)
            using (TensorScope.Begin()) kfac.Step(net.Forward, x, t);
        Report("trained", trainSteps);
        return 0;

        void Report(string when, int steps)
        {
            double lossValue;
            using (TensorScope.Begin()) lossValue = loss.Value(net.Forward(x), t).Item();
            var q = CurvatureDiagnostics.Compare(net.Forward, net.Parameters(), loss, x, gamma);
            JsonLine.Print(json, new Dictionary<string, object>
            {
                ["op"] = "fisher-quality",
                ["state"] = when,
                ["kfac_steps"] = steps,
                ["loss"] = Math.Round(lossValue, 4),
                ["parameters"] = q.ParameterCount,
                ["examples"] = m,
                ["damping_gamma2"] = q.Damping,
                ["fisher_error_block_diagonal"] = Math.Round(q.BlockDiagonalError, 4),
                ["fisher_error_block_tridiagonal"] = Math.Round(q.BlockTridiagonalError, 4),
                ["inverse_error_block_diagonal"] = Math.Round(q.BlockDiagonalInverseError, 4),
                ["inverse_error_block_tridiagonal"] = Math.Round(q.BlockTridiagonalInverseError, 4),
            });
        }
    }

    /// <summary>The first m images averaged over 4x4 blocks: 28x28 to 7x7, in double.</summary>
    private static Tensor Downsample(Tensor images, int m)
    {
        var src = images.ToArray<float>();
        var dst = new double[m * 49];
        for (int i = 0; i < m; i++)
            for (int r = 0; r < 28; r++)
                for (int c = 0; c < 28; c++)
                    dst[i * 49 + (r / 4) * 7 + c / 4] += src[i * 784 + r * 28 + c] / 16.0;
        return Tensor.FromArray<double>(dst, new Shape(m, 49));
    }
}

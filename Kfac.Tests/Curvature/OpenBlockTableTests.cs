using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;
using static Kfac.Tests.Curvature.CurvatureTestKit;

namespace Kfac.Tests.Curvature;

/// <summary>
/// K-FAC's tag-to-block table is open: a new K-FAC-aware layer is a layer that records its tag, a tag that overrides
/// <see cref="LayerTag.CreateBlock"/>, and a block. Everything below is defined here, in the tests; no optimizer file
/// knows about it.
/// </summary>
public class OpenBlockTableTests
{
    /// <summary>A toy layer: y = x .* s, one learnable scale per feature.</summary>
    private sealed class FeatureScale : Module
    {
        private Tensor _scale;

        public FeatureScale(int features, DType dtype)
        {
            Tag = new FeatureScaleTag(() => _scale!);
            using var outside = TensorScope.Suspend();
            _scale = RegisterParameter("scale", Tensor.FromDoubles(Enumerable.Range(0, features).Select(i => 1 + 0.1 * i).ToArray(), new Shape(features), dtype));
        }

        public FeatureScaleTag Tag { get; }

        public override Tensor Forward(Tensor input)
        {
            var y = input * _scale;
            CurvatureRecorder.Current?.Record(Tag, input, y);
            return y;
        }

        protected override void OnParametersReplaced() => _scale = Parameter("scale");
    }

    private sealed class FeatureScaleTag(Func<Tensor> scale) : LayerTag
    {
        public Tensor Scale => scale();
        public override IReadOnlyList<Tensor> Parameters => [Scale];
        public override string Description => $"FeatureScale({Scale.Shape[0]})";
        public override CurvatureBlock CreateBlock(DampingStyle damping) => new FeatureScaleBlock(this);
    }

    /// <summary>The diagonal Fisher of the scales: per example dL/ds_j = x_j g_j (g = m times the captured gradient of
    /// the batch-mean loss), d_j = (1/m) sum_i sum_passes (x_ij g_ij)^2, an EMA like the other blocks, damped as
    /// (d + gamma^2)^power. Host-side double arithmetic: a test block, not a fast one.</summary>
    private sealed class FeatureScaleBlock(FeatureScaleTag tag) : CurvatureBlock([tag])
    {
        private double[] _d = new double[tag.Scale.Shape[0]];
        private double[]? _damped;

        public IReadOnlyList<double> Diagonal => _d;

        public override string Description => $"Diagonal {tag.Description}";

        protected override void AccumulateStatistics(IReadOnlyList<LayerCapture> captures, double eps)
        {
            var c = captures[0];
            int m = c.BatchSize, n = _d.Length;
            var x = c.Input.ToDoubleArray();
            var batch = new double[n];
            foreach (var grad in c.OutputGradients)
            {
                var g = grad.ToDoubleArray();
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double u = x[i * n + j] * g[i * n + j] * m;
                        batch[j] += u * u / m;
                    }
            }
            for (int j = 0; j < n; j++) _d[j] = eps * _d[j] + (1 - eps) * batch[j];
        }

        protected override void ComputeInverse(double gamma) => _damped = _d.Select(d => d + gamma * gamma).ToArray();

        protected override bool SupportsPower(double power) => true;

        protected override void ApplyDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale)
        {
            var v = vector[0].ToDoubleArray();
            for (int j = 0; j < v.Length; j++) v[j] *= scale * Math.Pow(_damped![j], power);
            result[0].CopyFrom(Tensor.FromDoubles(v, result[0].Shape, result[0].DType, result[0].Device));
        }

        public override IEnumerable<(string Name, Tensor Value)> StateTensors()
        {
            yield return ("d", Tensor.FromDoubles(_d, new Shape(_d.Length), DType.Float64));
        }
    }

    private static Sequential Net(DType dtype) => new(
        new Dense(5, 6, rng: new System.Random(1), dtype: dtype), new Tanh(), new FeatureScale(6, dtype), new Dense(6, 3, rng: new System.Random(2), dtype: dtype));

    [Test]
    public void AToyLayerGetsItsOwnBlockAndItsStatisticsAreTheExactFisherDiagonal()
    {
        var net = Net(DType.Float64);
        var x = Inputs(9, 5, seed: 3);
        var loss = new SoftmaxCrossEntropy();
        var captures = Capture(net, loss, x, FisherEstimation.Exact);
        var capture = captures.Single(c => c.Tag is FeatureScaleTag);
        var block = (FeatureScaleBlock)capture.Tag.CreateBlock(DampingStyle.FactoredTikhonov);
        block.UpdateStatistics([capture], 0.95); // k = 1: the EMA is the batch statistic

        var ps = net.Parameters();
        int p = Kfac.Curvature.ExactCurvature.Count(ps);
        var fisher = Kfac.Curvature.ExactCurvature.Fisher(net.Forward, ps, loss, x);
        int offset = ps.TakeWhile(t => !ReferenceEquals(t, ((FeatureScaleTag)capture.Tag).Scale)).Sum(t => t.Numel);
        for (int j = 0; j < 6; j++)
            Assert.That(block.Diagonal[j], Is.EqualTo(fisher[(offset + j) * p + offset + j]).Within(1e-10 * (1 + Math.Abs(fisher[(offset + j) * p + offset + j]))), $"d[{j}]");
    }

    [Test]
    public void KfacTrainsANetworkWithTheToyLayerThroughItsBlock()
    {
        var net = Net(DType.Float32);
        var rng = new System.Random(4);
        var x = Tensor.RandN(new Shape(128, 5), rng);
        var t = SoftmaxOps.OneHot(Enumerable.Range(0, 128).Select(i => (i * 7) % 3).ToArray(), 3);
        var kfac = new KfacOptimizer(net.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1 });
        var results = new List<KfacStepResult>();
        for (int s = 0; s < 30; s++)
            using (TensorScope.Begin()) results.Add(kfac.Step(net.Forward, x, t));
        Assert.That(kfac.Blocks.Select(b => b.GetType().Name), Is.EqualTo(new[] { "KroneckerFactoredBlock", "FeatureScaleBlock", "KroneckerFactoredBlock" }));
        Assert.That(results.Count(r => r.Rejected), Is.EqualTo(0), string.Join("; ", results.Select(r => r.RejectionReason)));
        Assert.That(results[^1].Loss, Is.LessThan(0.8 * results[0].Loss));
    }

    /// <summary>A tag that neither overrides CreateBlock nor gives per-example gradients is refused by name.</summary>
    [Test]
    public void ATagWithoutABlockIsRefusedByName()
    {
        var tag = new NoBlockTag();
        var e = Assert.Throws<NotSupportedException>(() => tag.CreateBlock(DampingStyle.FactoredTikhonov))!;
        Assert.That(e.Message, Does.Contain("Mystery").And.Contain("override LayerTag.CreateBlock"));
    }

    private sealed class NoBlockTag : LayerTag
    {
        public override IReadOnlyList<Tensor> Parameters => [];
        public override string Description => "Mystery(3)";
    }
}

using Kfac.Curvature;
using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>How noisy Adam estimates the Fisher diagonal f it folds into its running average.</summary>
public enum FisherDiagonalEstimate
{
    /// <summary>(1/m) sum_i (grad_w log p(y_i | x_i, w))^2, the squared per-example gradients of the paper's
    /// Algorithm 1 read literally (per example), from the dense layers' recorded inputs and output gradients:
    /// for W, (1/m) sum_i g_i^2 (a_i^2)^T; for b, (1/m) sum_i g_i^2. Needs the network's dense-layer tags.</summary>
    PerExample,

    /// <summary>The square of the mini-batch mean gradient (Adam's second moment). Cheaper and needs no tags, but it
    /// underestimates the per-example Fisher by up to the batch size, inflating both the step and the posterior
    /// variance.</summary>
    MiniBatchSquare,
}

/// <summary>
/// Noisy Adam, the natural gradient for a fully factorised Gaussian posterior (NG-FFG; Zhang, Sun, Duvenaud and
/// Grosse 2018, Algorithm 1). Per parameter w, with gamma_in = lambda/(N eta):
/// <code>
/// w ~ N(mu, (lambda/N) / (f + gamma_in))
/// v  = grad_w log p(y|x, w) - gamma_in w
/// m &lt;- beta1 m + (1 - beta1) v
/// f &lt;- beta2 f + (1 - beta2) (grad_w log p(y|x, w))^2
/// mu &lt;- mu + alpha (m / (1 - beta1^k)) / (f + gamma_in + gamma_ex)
/// </code>
/// No square root on the Fisher diagonal f and no bias correction of f (f's zero start gives the prior's variance
/// eta at the start). In v, grad log p is the mini-batch mean log-likelihood gradient; the squared gradient follows
/// <see cref="FisherDiagonalEstimate"/>; both are averaged over the particles. <see cref="NoiseEnabled"/> = false
/// evaluates at the mean (the deterministic form: Adam without the square root, with the L2 term gamma_in mu).
/// </summary>
public sealed class NoisyAdam : VariationalOptimizer
{
    private readonly FactorizedGaussianPosterior _posterior;
    private readonly double[][] _m, _f, _mean, _fisherSum;
    private readonly IReadOnlyList<DenseTag>? _layers;
    private readonly CurvatureRecorder? _recorder;

    /// <param name="layers">the network's dense layers (in parameter order), required for
    /// <see cref="FisherDiagonalEstimate.PerExample"/>; their parameters must be exactly <paramref name="parameters"/>.</param>
    public NoisyAdam(IReadOnlyList<Tensor> parameters, VariationalOptions options, double beta1 = 0.9, double beta2 = 0.999,
        double extrinsicDamping = 0, IReadOnlyList<DenseTag>? layers = null,
        FisherDiagonalEstimate fisher = FisherDiagonalEstimate.PerExample) : base(parameters, options)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1)");
        if (!(extrinsicDamping >= 0) || double.IsInfinity(extrinsicDamping)) throw new ArgumentOutOfRangeException(nameof(extrinsicDamping), extrinsicDamping, "must be finite and >= 0");
        if (fisher == FisherDiagonalEstimate.PerExample)
        {
            if (layers is null) throw new ArgumentNullException(nameof(layers), "per-example Fisher diagonals need the dense layers (NoisyKfac.DiscoverLayers)");
            var covered = layers.SelectMany(t => t.Parameters).ToArray();
            if (covered.Length != Parameters.Count || covered.Where((p, i) => !ReferenceEquals(p, Parameters[i])).Any())
                throw new ArgumentException($"the layers' parameters ({covered.Length}) are not exactly the optimizer's parameters ({Parameters.Count}) in order", nameof(layers));
            _layers = layers;
            _recorder = new CurvatureRecorder();
        }
        Fisher = fisher;
        Beta1 = beta1;
        Beta2 = beta2;
        ExtrinsicDamping = extrinsicDamping;
        LearningRate = options.LearningRate;
        _posterior = new FactorizedGaussianPosterior(Parameters, options.PriorVariance, options.KlWeight / options.TrainingSetSize / options.IntrinsicDamping);
        _m = HostValues.Like(Parameters);
        _f = HostValues.Like(Parameters);
        _mean = HostValues.Like(Parameters);
        _fisherSum = HostValues.Like(Parameters);
    }

    /// <summary>The factorised Gaussian with sigma^2 = (lambda/N) / (f + gamma_in).</summary>
    public override IWeightPosterior Posterior => _posterior;

    /// <summary>"noisy-adam".</summary>
    public override string Name => "noisy-adam";

    /// <summary>How the Fisher diagonal f is estimated.</summary>
    public FisherDiagonalEstimate Fisher { get; }

    /// <summary>beta1, decay of the momentum m.</summary>
    public double Beta1 { get; }

    /// <summary>beta2, decay of the Fisher diagonal f.</summary>
    public double Beta2 { get; }

    /// <summary>gamma_ex, the extrinsic damping added to f + gamma_in in the mean update.</summary>
    public double ExtrinsicDamping { get; }

    /// <summary>alpha (schedules may change it between steps).</summary>
    public double LearningRate { get; set; }

    /// <summary>False: evaluate the gradient at the mean instead of a sample (lambda -> 0 in the sampling).</summary>
    public bool NoiseEnabled { get; set; } = true;

    /// <summary>The running Fisher diagonal f, per parameter entry.</summary>
    public IReadOnlyList<double[]> FisherDiagonal => _f;

    /// <inheritdoc/>
    protected override CurvatureRecorder? Recorder => _recorder;

    /// <inheritdoc/>
    protected override bool CaptureLossGradients => true;

    /// <summary>A posterior sample, or the mean when <see cref="NoiseEnabled"/> is false.</summary>
    protected override void DrawSample(double[][] into)
    {
        if (NoiseEnabled) base.DrawSample(into);
        else ReadMean(into);
    }

    /// <inheritdoc/>
    protected override void BeginStep()
    {
        foreach (var a in _fisherSum) Array.Clear(a);
    }

    /// <summary>With per-example estimation, adds this particle's (1/m) sum_i g_i^2 (a_i^2)^T (and g_i^2 for biases) to the Fisher sums; nothing otherwise.</summary>
    protected override void OnParticle(Tensor output, ILoss loss, double[][] sample, double[][] gradient)
    {
        if (_layers is null) return;
        int k = 0;
        foreach (var tag in _layers)
        {
            var c = _recorder!.Captures.FirstOrDefault(x => ReferenceEquals(x.Tag, tag))
                ?? throw new InvalidOperationException($"the forward pass did not record {tag}");
            int m = c.BatchSize, inF = tag.InFeatures, outF = tag.OutFeatures;
            var x = new double[m * inF];
            var g = new double[m * outF];
            HostValues.Read(c.Input, x);
            HostValues.Read(c.OutputGradients[0], g);
            var fw = _fisherSum[k++];
            var fb = tag.HasBias ? _fisherSum[k++] : null;
            double scale = m; // g_i = m dMeanLoss/ds_i: (1/m) sum_i g_i^2 = m sum_i (dMeanLoss/ds_i)^2
            for (int i = 0; i < m; i++)
                for (int o = 0; o < outF; o++)
                {
                    double g2 = g[i * outF + o] * g[i * outF + o] * scale;
                    if (g2 == 0) continue;
                    for (int j = 0; j < inF; j++) fw[o * inF + j] += g2 * x[i * inF + j] * x[i * inF + j];
                    if (fb is not null) fb[o] += g2;
                }
        }
    }

    /// <summary>Algorithm 1's update of m, f and mu, and the posterior variances (lambda/N) / (f + gamma_in).</summary>
    protected override void Update(double[][] meanGradient, double[][] meanSquaredGradient, double[][] meanSample)
    {
        double gIn = Options.IntrinsicDamping, c = Options.KlWeight / Options.TrainingSetSize;
        double correction = 1 - Math.Pow(Beta1, StepCount);
        double perParticle = 1.0 / Options.Particles;
        ReadMean(_mean);
        for (int i = 0; i < _mean.Length; i++)
        {
            var mu = _mean[i];
            var m = _m[i];
            var f = _f[i];
            var variance = _posterior.Variance[i];
            var square = Fisher == FisherDiagonalEstimate.PerExample ? _fisherSum[i] : meanSquaredGradient[i];
            double squareScale = Fisher == FisherDiagonalEstimate.PerExample ? perParticle : 1;
            for (int j = 0; j < mu.Length; j++)
            {
                // the loss is -log p, so grad log p = -gradient
                double v = -meanGradient[i][j] - gIn * meanSample[i][j];
                m[j] = Beta1 * m[j] + (1 - Beta1) * v;
                f[j] = Beta2 * f[j] + (1 - Beta2) * square[j] * squareScale;
                mu[j] += LearningRate * (m[j] / correction) / (f[j] + gIn + ExtrinsicDamping);
                variance[j] = c / (f[j] + gIn);
            }
        }
        WriteMean(_mean);
    }
}

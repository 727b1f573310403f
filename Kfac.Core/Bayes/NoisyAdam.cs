using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// Noisy Adam, the natural gradient for a fully factorised Gaussian posterior (NG-FFG; Zhang, Sun, Duvenaud and
/// Grosse 2018, Algorithm 1). Per parameter w, with gamma_in = lambda/(N eta):
/// <code>
/// w ~ N(mu, (lambda/N) / (f + gamma_in))
/// v  = grad_w log p(y|x, w) - gamma_in w
/// m <- beta1 m + (1 - beta1) v
/// f <- beta2 f + (1 - beta2) (grad_w log p(y|x, w))^2
/// mu <- mu + alpha (m / (1 - beta1^k)) / (f + gamma_in + gamma_ex)
/// </code>
/// No square root on the Fisher diagonal f and no bias correction of f (f's zero start gives the prior's variance
/// eta at the start). grad log p is the mini-batch mean log-likelihood gradient; with several particles v and
/// (grad log p)^2 are averaged over them. <see cref="NoiseEnabled"/> = false evaluates at the mean (the
/// deterministic form: Adam without the square root, the L2 term gamma_in mu).
/// </summary>
public sealed class NoisyAdam : VariationalOptimizer
{
    private readonly FactorizedGaussianPosterior _posterior;
    private readonly double[][] _m, _f, _mean;

    public NoisyAdam(IReadOnlyList<Tensor> parameters, VariationalOptions options, double beta1 = 0.9, double beta2 = 0.999,
        double extrinsicDamping = 0) : base(parameters, options)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1)");
        if (!(extrinsicDamping >= 0) || double.IsInfinity(extrinsicDamping)) throw new ArgumentOutOfRangeException(nameof(extrinsicDamping), extrinsicDamping, "must be finite and >= 0");
        Beta1 = beta1;
        Beta2 = beta2;
        ExtrinsicDamping = extrinsicDamping;
        LearningRate = options.LearningRate;
        _posterior = new FactorizedGaussianPosterior(Parameters, options.PriorVariance, options.KlWeight / options.TrainingSetSize / options.IntrinsicDamping);
        _m = HostValues.Like(Parameters);
        _f = HostValues.Like(Parameters);
        _mean = HostValues.Like(Parameters);
    }

    public override IWeightPosterior Posterior => _posterior;

    public override string Name => "noisy-adam";

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double ExtrinsicDamping { get; }

    /// <summary>alpha (schedules may change it between steps).</summary>
    public double LearningRate { get; set; }

    /// <summary>False: evaluate the gradient at the mean instead of a sample (lambda -> 0 in the sampling).</summary>
    public bool NoiseEnabled { get; set; } = true;

    /// <summary>The running Fisher diagonal f, per parameter entry.</summary>
    public IReadOnlyList<double[]> FisherDiagonal => _f;

    protected override void DrawSample(double[][] into)
    {
        if (NoiseEnabled) base.DrawSample(into);
        else ReadMean(into);
    }

    protected override void Update(double[][] meanGradient, double[][] meanSquaredGradient, double[][] meanSample)
    {
        double gIn = Options.IntrinsicDamping, c = Options.KlWeight / Options.TrainingSetSize;
        double correction = 1 - Math.Pow(Beta1, StepCount);
        ReadMean(_mean);
        for (int i = 0; i < _mean.Length; i++)
        {
            var mu = _mean[i];
            var m = _m[i];
            var f = _f[i];
            var variance = _posterior.Variance[i];
            for (int j = 0; j < mu.Length; j++)
            {
                // the loss is -log p, so grad log p = -gradient
                double v = -meanGradient[i][j] - gIn * meanSample[i][j];
                m[j] = Beta1 * m[j] + (1 - Beta1) * v;
                f[j] = Beta2 * f[j] + (1 - Beta2) * meanSquaredGradient[i][j];
                mu[j] += LearningRate * (m[j] / correction) / (f[j] + gIn + ExtrinsicDamping);
                variance[j] = c / (f[j] + gIn);
            }
        }
        WriteMean(_mean);
    }
}

using Kfac.Losses;
using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// Bayes by Backprop (Blundell, Cornebise, Kavukcuoglu and Wierstra 2015), the baseline of Zhang et al. 2018: a fully
/// factorised Gaussian q with sigma = softplus(rho), trained by Adam on the per-datum negative ELBO
/// <code>
/// F(mu, rho) = E_eps[ L(mu + softplus(rho) eps) ] + (lambda/N) KL(q || N(0, eta I)),   L = mini-batch mean loss,
/// dF/dmu  = dL/dw + (lambda/N) mu/eta,
/// dF/drho = (dL/dw eps + (lambda/N) (sigma/eta - 1/sigma)) sigmoid(rho)
/// </code>
/// with reparameterised gradients averaged over the particles (the KL is in closed form). The mean is the network's
/// parameters; rho is kept here. (Local reparameterisation is not implemented: the weights themselves are sampled,
/// one sample per particle shared by the mini-batch.)
/// </summary>
public sealed class BayesByBackprop : VariationalOptimizer
{
    private readonly FactorizedGaussianPosterior _posterior;
    private readonly double[][] _rho, _eps, _rhoGrad, _muGrad, _mean;
    private readonly HostAdam _adam;
    private double[][]? _fixedNoise;
    private bool _gradientOnly;

    public BayesByBackprop(IReadOnlyList<Tensor> parameters, VariationalOptions options, double initialSigma = 1e-3)
        : base(parameters, options)
    {
        if (!(initialSigma > 0) || double.IsInfinity(initialSigma)) throw new ArgumentOutOfRangeException(nameof(initialSigma), initialSigma, "must be positive");
        _posterior = new FactorizedGaussianPosterior(Parameters, options.PriorVariance, initialSigma * initialSigma);
        _rho = HostValues.Like(Parameters);
        double rho0 = InverseSoftplus(initialSigma);
        foreach (var r in _rho) Array.Fill(r, rho0);
        _eps = HostValues.Like(Parameters);
        _rhoGrad = HostValues.Like(Parameters);
        _muGrad = HostValues.Like(Parameters);
        _mean = HostValues.Like(Parameters);
        _adam = new HostAdam(Parameters.SelectMany(p => new[] { p.Numel, p.Numel }).ToArray(), options.LearningRate);
    }

    public override IWeightPosterior Posterior => _posterior;

    public override string Name => "bbb";

    public double LearningRate { get => _adam.LearningRate; set => _adam.LearningRate = value; }

    /// <summary>rho per parameter entry (sigma = softplus(rho)).</summary>
    public IReadOnlyList<double[]> Rho => _rho;

    public static double Softplus(double x) => x > 30 ? x : double.LogP1(Math.Exp(x));

    public static double InverseSoftplus(double y) => y > 30 ? y : Math.Log(double.ExpM1(y));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// The reparameterised gradient of F with the noise eps fixed to <paramref name="noise"/> (one particle), without
    /// changing any state: for checking against finite differences of F.
    /// </summary>
    public (double[][] Mean, double[][] Rho) Gradient(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets, ILoss loss, double[][] noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        if (Options.Particles != 1) throw new InvalidOperationException($"Gradient uses one particle; this optimizer has {Options.Particles}");
        _fixedNoise = noise;
        _gradientOnly = true;
        try
        {
            var r = Step(forward, inputs, targets, loss);
            if (!r.Applied) throw new InvalidOperationException("the loss or gradient is not finite at this point");
            return (_muGrad.Select(a => a.ToArray()).ToArray(), _rhoGrad.Select(a => a.ToArray()).ToArray());
        }
        finally
        {
            _fixedNoise = null;
            _gradientOnly = false;
        }
    }

    /// <summary>Sets rho (and the posterior's variances) directly.</summary>
    public void SetRho(IReadOnlyList<double[]> rho)
    {
        for (int i = 0; i < _rho.Length; i++) rho[i].AsSpan().CopyTo(_rho[i]);
        SyncVariance();
    }

    protected override void DrawSample(double[][] into)
    {
        ReadMean(into);
        for (int i = 0; i < into.Length; i++)
            for (int j = 0; j < into[i].Length; j++)
            {
                double e = _fixedNoise is null ? Gaussian.Sample(Rng) : _fixedNoise[i][j];
                _eps[i][j] = e;
                into[i][j] += Softplus(_rho[i][j]) * e;
            }
    }

    protected override void OnParticle(Tensor output, ILoss loss, double[][] sample, double[][] gradient)
    {
        for (int i = 0; i < gradient.Length; i++)
            for (int j = 0; j < gradient[i].Length; j++) _rhoGrad[i][j] += gradient[i][j] * _eps[i][j];
    }

    protected override void Update(double[][] meanGradient, double[][] meanSquaredGradient, double[][] meanSample)
    {
        double c = Options.KlWeight / Options.TrainingSetSize, eta = Options.PriorVariance, inv = 1.0 / Options.Particles;
        ReadMean(_mean);
        for (int i = 0; i < _mean.Length; i++)
            for (int j = 0; j < _mean[i].Length; j++)
            {
                double rho = _rho[i][j], sigma = Softplus(rho);
                _muGrad[i][j] = meanGradient[i][j] + c * _mean[i][j] / eta;
                _rhoGrad[i][j] = (_rhoGrad[i][j] * inv + c * (sigma / eta - 1 / sigma)) * Sigmoid(rho);
            }
        if (!_gradientOnly)
        {
            var ps = new List<double[]>();
            var gs = new List<double[]>();
            for (int i = 0; i < _mean.Length; i++)
            {
                ps.Add(_mean[i]);
                ps.Add(_rho[i]);
                gs.Add(_muGrad[i]);
                gs.Add(_rhoGrad[i]);
            }
            _adam.Step(ps, gs);
            WriteMean(_mean);
            SyncVariance();
        }
    }

    protected override void BeginStep()
    {
        foreach (var g in _rhoGrad) Array.Clear(g);
    }

    private void SyncVariance()
    {
        for (int i = 0; i < _rho.Length; i++)
            for (int j = 0; j < _rho[i].Length; j++)
            {
                double s = Softplus(_rho[i][j]);
                _posterior.Variance[i][j] = s * s;
            }
    }
}

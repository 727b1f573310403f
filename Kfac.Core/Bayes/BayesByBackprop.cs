using Kfac.Curvature;
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
/// parameters; rho is kept here. By default the weights themselves are sampled, one sample per particle shared by
/// the mini-batch.
/// <para>
/// Local reparameterisation (Kingma, Salimans and Welling 2015, "Variational dropout and the local
/// reparameterization trick", section 2.3), when built with the dense layers: the network runs at the mean and each
/// dense layer's pre-activation is sampled per example from its exact marginal under q,
/// <code>
/// s_nj = sum_i x_ni mu_ji + mu_bj + sqrt(v_nj) zeta_nj,  v_nj = sum_i x_ni^2 sigma_ji^2 + sigma_bj^2,  zeta ~ N(0, 1)
/// </code>
/// (their equation 6), through <see cref="DenseOutputHook"/>; the gradients reach mu through the mean and
/// sigma^2 (leaf tensors here) through v by autodiff, dL/dsigma = 2 sigma dL/dsigma^2. The expected loss is
/// unchanged; the gradient's variance falls because examples no longer share one weight sample.
/// </para>
/// </summary>
public sealed class BayesByBackprop : VariationalOptimizer
{
    private readonly FactorizedGaussianPosterior _posterior;
    private readonly double[][] _rho, _eps, _rhoGrad, _muGrad, _mean;
    private readonly HostAdam _adam;
    private double[][]? _fixedNoise;
    private bool _gradientOnly;
    // local reparameterisation: per dense layer, its parameters' indices, the variance leaves and the noise buffer
    private readonly Dictionary<DenseTag, int>? _layerIndex;
    private readonly int[] _weightParameter = [], _biasParameter = [];
    private readonly Tensor[] _weightVariance = [];
    private readonly Tensor?[] _biasVariance = [];
    private readonly double[][] _zeta = [];
    private double[][]? _fixedZeta;

    /// <param name="localReparameterisation">the dense layers whose parameters are <paramref name="parameters"/> (all of
    /// them, weights and biases): sample their pre-activations per example instead of the weights. Null: weight
    /// sampling.</param>
    public BayesByBackprop(IReadOnlyList<Tensor> parameters, VariationalOptions options, double initialSigma = 1e-3,
        IReadOnlyList<DenseTag>? localReparameterisation = null)
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
        if (localReparameterisation is { } layers)
        {
            if (layers.Count == 0) throw new ArgumentException("local reparameterisation needs at least one dense layer", nameof(localReparameterisation));
            int n = layers.Count;
            _layerIndex = new Dictionary<DenseTag, int>(ReferenceEqualityComparer.Instance);
            _weightParameter = new int[n];
            _biasParameter = new int[n];
            _weightVariance = new Tensor[n];
            _biasVariance = new Tensor?[n];
            _zeta = new double[n][];
            var covered = new bool[Parameters.Count];
            int IndexOf(Tensor t, DenseTag layer)
            {
                for (int i = 0; i < Parameters.Count; i++)
                    if (ReferenceEquals(Parameters[i], t))
                    {
                        if (covered[i]) throw new ArgumentException($"parameter {t.Name} {t.Shape} belongs to two layers", nameof(localReparameterisation));
                        covered[i] = true;
                        return i;
                    }
                throw new ArgumentException($"{layer.Description}: its parameter {t.Name} {t.Shape} is not among the optimizer's parameters", nameof(localReparameterisation));
            }
            using (TensorScope.Suspend())
                for (int l = 0; l < n; l++)
                {
                    var layer = layers[l];
                    _layerIndex.Add(layer, l);
                    _weightParameter[l] = IndexOf(layer.Weight, layer);
                    _biasParameter[l] = layer.Bias is { } b ? IndexOf(b, layer) : -1;
                    _weightVariance[l] = Tensor.EmptyLike(layer.Weight);
                    _weightVariance[l].RequiresGrad = true;
                    if (layer.Bias is { } bias)
                    {
                        _biasVariance[l] = Tensor.EmptyLike(bias);
                        _biasVariance[l]!.RequiresGrad = true;
                    }
                    _zeta[l] = [];
                }
            for (int i = 0; i < covered.Length; i++)
                if (!covered[i])
                    throw new ArgumentException($"parameter {Parameters[i].Name} {Parameters[i].Shape} is in no dense layer given for local reparameterisation", nameof(localReparameterisation));
            SyncLocalVariances();
        }
    }

    /// <summary>True when pre-activations are sampled per example (local reparameterisation).</summary>
    public bool LocalReparameterisation => _layerIndex is not null;

    /// <summary>With local reparameterisation, samples each dense layer's pre-activation per example from its marginal under q (equation 6); null when the weights are sampled.</summary>
    protected override Func<DenseTag, Tensor, Tensor, Tensor>? OutputHook => _layerIndex is null ? null : SamplePreActivation;

    /// <summary>
    /// One forward pass under local reparameterisation (no gradient): the network at the mean with every dense
    /// pre-activation sampled per example. <paramref name="preActivationNoise"/>[l] fixes layer l's zeta (row-major
    /// [rows, out]); null draws it.
    /// </summary>
    public Tensor SampleOutput(Func<Tensor, Tensor> forward, Tensor inputs, double[][]? preActivationNoise = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (_layerIndex is null) throw new InvalidOperationException("this optimizer samples weights; build it with the dense layers for local reparameterisation");
        SyncLocalVariances();
        _fixedZeta = preActivationNoise;
        try
        {
            using (Kfac.Autodiff.GradMode.Disable())
            using (DenseOutputHook.Activate(SamplePreActivation))
                return forward(inputs);
        }
        finally
        {
            _fixedZeta = null;
        }
    }

    /// <summary>The gradient of F (as <see cref="Gradient"/>) under local reparameterisation with the pre-activation
    /// noise zeta fixed: <paramref name="preActivationNoise"/>[l] is layer l's [rows, out], row-major.</summary>
    public (double[][] Mean, double[][] Rho) GradientLocal(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets, ILoss loss, double[][] preActivationNoise)
    {
        ArgumentNullException.ThrowIfNull(preActivationNoise);
        if (_layerIndex is null) throw new InvalidOperationException("this optimizer samples weights; build it with the dense layers for local reparameterisation");
        if (preActivationNoise.Length != _zeta.Length)
            throw new ArgumentException($"{preActivationNoise.Length} noise buffers for {_zeta.Length} layers", nameof(preActivationNoise));
        if (Options.Particles != 1) throw new InvalidOperationException($"GradientLocal uses one particle; this optimizer has {Options.Particles}");
        _fixedZeta = preActivationNoise;
        try
        {
            return GradientOnly(forward, inputs, targets, loss);
        }
        finally
        {
            _fixedZeta = null;
        }
    }

    /// <summary>s + sqrt((x o x) (sigma_W^2)^T + sigma_b^2) o zeta for one dense layer (the hook).</summary>
    private Tensor SamplePreActivation(DenseTag tag, Tensor x, Tensor s)
    {
        if (!_layerIndex!.TryGetValue(tag, out int l))
            throw new InvalidOperationException($"{tag.Description} ran under local reparameterisation but is not among the optimizer's layers");
        int rows = x.Shape[0], q = tag.OutFeatures, count = rows * q;
        if (_zeta[l].Length < count) _zeta[l] = new double[count];
        var zeta = _zeta[l].AsSpan(0, count);
        if (_fixedZeta is not null)
        {
            if (_fixedZeta[l].Length != count)
                throw new ArgumentException($"pre-activation noise of layer {l} ({tag.Description}) has {_fixedZeta[l].Length} values; [{rows}, {q}] needs {count}");
            _fixedZeta[l].AsSpan().CopyTo(zeta);
        }
        else
            Gaussian.Fill(Rng, zeta);
        var v = x.Square().MatMul(_weightVariance[l], transOther: true);
        if (_biasVariance[l] is { } vb) v += vb;
        return s + v.Sqrt() * Tensor.FromDoubles(zeta, new Shape(rows, q), s.DType, s.Device);
    }

    /// <summary>Writes sigma^2 = softplus(rho)^2 into the variance leaves of the local reparameterisation.</summary>
    private void SyncLocalVariances()
    {
        for (int l = 0; l < _weightVariance.Length; l++)
        {
            HostValues.Write(_posterior.Variance[_weightParameter[l]], _weightVariance[l]);
            if (_biasVariance[l] is { } vb) HostValues.Write(_posterior.Variance[_biasParameter[l]], vb);
        }
    }

    /// <summary>The factorised Gaussian q with sigma = softplus(rho).</summary>
    public override IWeightPosterior Posterior => _posterior;

    /// <summary>"bbb".</summary>
    public override string Name => "bbb";

    /// <summary>Adam's step size on (mu, rho).</summary>
    public double LearningRate { get => _adam.LearningRate; set => _adam.LearningRate = value; }

    /// <summary>rho per parameter entry (sigma = softplus(rho)).</summary>
    public IReadOnlyList<double[]> Rho => _rho;

    /// <summary>softplus(x) = log(1 + exp(x)), returning x itself above 30 (where they agree in double).</summary>
    public static double Softplus(double x) => x > 30 ? x : double.LogP1(Math.Exp(x));

    /// <summary>The inverse of softplus: log(exp(y) - 1) for y &gt; 0, returning y itself above 30.</summary>
    public static double InverseSoftplus(double y) => y > 30 ? y : Math.Log(double.ExpM1(y));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// The reparameterised gradient of F with the noise eps fixed to <paramref name="noise"/> (one particle), without
    /// changing any state: for checking against finite differences of F.
    /// </summary>
    public (double[][] Mean, double[][] Rho) Gradient(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets, ILoss loss, double[][] noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        if (_layerIndex is not null) throw new InvalidOperationException("this optimizer samples pre-activations (local reparameterisation): use GradientLocal");
        if (Options.Particles != 1) throw new InvalidOperationException($"Gradient uses one particle; this optimizer has {Options.Particles}");
        if (noise.Length != _eps.Length) throw new ArgumentException($"noise has {noise.Length} arrays; the optimizer has {_eps.Length} parameters", nameof(noise));
        for (int i = 0; i < noise.Length; i++)
            if (noise[i]?.Length != _eps[i].Length)
                throw new ArgumentException($"noise[{i}] has {noise[i]?.Length} values; parameter {i} has {_eps[i].Length}", nameof(noise));
        _fixedNoise = noise;
        try
        {
            return GradientOnly(forward, inputs, targets, loss);
        }
        finally
        {
            _fixedNoise = null;
        }
    }

    /// <summary>One step that computes the gradients of F (with whatever noise is fixed) and changes no state; copies of
    /// the mean and rho gradients.</summary>
    private (double[][] Mean, double[][] Rho) GradientOnly(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets, ILoss loss)
    {
        _gradientOnly = true;
        try
        {
            var r = Step(forward, inputs, targets, loss);
            if (!r.Applied) throw new InvalidOperationException("the loss or gradient is not finite at this point");
            return (_muGrad.Select(a => a.ToArray()).ToArray(), _rhoGrad.Select(a => a.ToArray()).ToArray());
        }
        finally
        {
            _gradientOnly = false;
        }
    }

    /// <summary>Sets rho (and the posterior's variances) directly.</summary>
    public void SetRho(IReadOnlyList<double[]> rho)
    {
        for (int i = 0; i < _rho.Length; i++) rho[i].AsSpan().CopyTo(_rho[i]);
        SyncVariance();
    }

    /// <summary>w = mu + softplus(rho) eps with fresh eps ~ N(0, 1) (the mean itself under local reparameterisation).</summary>
    protected override void DrawSample(double[][] into)
    {
        ReadMean(into);
        if (_layerIndex is not null) return; // local reparameterisation: the network runs at the mean
        for (int i = 0; i < into.Length; i++)
        {
            var eps = _eps[i];
            if (_fixedNoise is null) Gaussian.Fill(Rng, eps);
            else _fixedNoise[i].AsSpan().CopyTo(eps);
            for (int j = 0; j < into[i].Length; j++) into[i][j] += Softplus(_rho[i][j]) * eps[j];
        }
    }

    /// <summary>Accumulates the reparameterised sigma-gradient of this particle: dL/dw eps, or dL/dsigma = 2 sigma dL/dsigma^2 under local reparameterisation.</summary>
    protected override void OnParticle(Tensor output, ILoss loss, double[][] sample, double[][] gradient)
    {
        if (_layerIndex is not null)
        {
            // dL/dsigma = 2 sigma dL/dsigma^2 (the variance leaves' gradients), then clear them for the next particle
            for (int l = 0; l < _weightVariance.Length; l++)
            {
                AccumulateSigmaGradient(_weightVariance[l], _weightParameter[l]);
                if (_biasVariance[l] is { } vb) AccumulateSigmaGradient(vb, _biasParameter[l]);
            }
            return;
        }
        for (int i = 0; i < gradient.Length; i++)
            for (int j = 0; j < gradient[i].Length; j++) _rhoGrad[i][j] += gradient[i][j] * _eps[i][j];
    }

    /// <summary>Forms dF/dmu and dF/drho of the class formula (likelihood part averaged over particles, KL in closed form) and, unless only gradients are wanted, takes one Adam step on (mu, rho).</summary>
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

    private void AccumulateSigmaGradient(Tensor variance, int parameter)
    {
        var into = _rhoGrad[parameter];
        if (variance.Grad is { } g)
        {
            HostValues.Read(g, _eps[parameter]); // _eps is free scratch under local reparameterisation
            var rho = _rho[parameter];
            for (int j = 0; j < into.Length; j++) into[j] += _eps[parameter][j] * 2 * Softplus(rho[j]);
        }
        variance.Grad = null;
    }

    /// <summary>Clears the per-step rho-gradient accumulators (and, under local reparameterisation, refreshes the variance leaves).</summary>
    protected override void BeginStep()
    {
        foreach (var g in _rhoGrad) Array.Clear(g);
        if (_layerIndex is not null)
        {
            SyncLocalVariances();
            foreach (var v in _weightVariance) v.Grad = null;
            foreach (var v in _biasVariance) if (v is not null) v.Grad = null;
        }
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

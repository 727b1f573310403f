using Kfac.Curvature;
using Kfac.Losses;
using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// Noisy K-FAC, the natural gradient for a matrix-variate Gaussian posterior per dense layer (NG-MVG; Zhang, Sun,
/// Duvenaud and Grosse 2018, section 3.2 and Algorithm 2), built on K-FAC's own machinery: each layer's statistics
/// live in a <see cref="KroneckerFactoredBlock"/> fed by the <see cref="CurvatureRecorder"/> captures of the forward
/// pass at the SAMPLED weights and by <see cref="FisherTargets"/> (targets sampled from the model's predictive
/// distribution); the update uses the block's damped inverses with <see cref="FactoredDamping"/>.
/// Per step, with gamma_in = lambda/(N eta) and gamma = gamma_in + gamma_ex:
/// <code>
/// W ~ MN(M, (lambda/N) (A + pi sqrt(gamma_in) I)^-1, (S + sqrt(gamma_in)/pi I)^-1)      (see MatrixVariateLayer)
/// A &lt;- EMA of E[abar abar^T], S &lt;- EMA of E[g g^T] (block.UpdateStatistics, decay 1 - beta, debiased start)
/// v = grad_W log p(y|x, W) - gamma_in W;  m &lt;- mu m + (1 - mu) v;  b &lt;- mu b + (1 - mu);  mhat = m / b
/// Delta = alpha (S + sqrt(gamma)/pi I)^-1 mhat (A + pi sqrt(gamma) I)^-1                (block.MultiplyByDampedPower)
/// M &lt;- M + nu Delta,  nu = min(1, sqrt(kappa / (alpha mhat^T Delta)))                      (KL clipping, <see cref="TrustRegion"/>)
/// </code>
/// alpha mhat^T Delta = Delta^T F~ Delta is the quadratic model's predicted change of the predictive distribution
/// (twice the KL) for the damped K-FAC Fisher F~; the clip kappa (<see cref="KlClip"/>) bounds it, as ACKTR and the
/// public noisy K-FAC ports do (they use 1e-3). Without it the first steps, whose factors come from a few particles'
/// sampled-target statistics and are far from full rank, can take steps of 1/gamma_in times the gradient in directions
/// the statistics have not seen: with 1 or 2 particles the mean grew to 1e39 on Boston within 20 epochs. The default
/// 0.1 stops that (Boston, 1 and 2 particles, both posterior forms, 100 epochs) and costs nothing measurable where the
/// clip is not needed (Boston at the protocol; Fashion-MNIST accuracy 0.8793 against 0.8795 without a clip, where
/// 1e-3 gave 0.8765): docs/BENCHMARKS.md, stop 31.
/// The inverses and the sampling square roots are refreshed at the first step and then every
/// <see cref="InverseInterval"/> steps. Before any statistics the posterior is the prior N(0, eta I) (A = S = 0).
/// <see cref="NoiseEnabled"/> = false evaluates at the mean: then the mean update is K-FAC's fixed-step update of the
/// L2-regularised loss (L2 = gamma_in) with momentum mu and damping gamma.
/// </summary>
public sealed class NoisyKfac : VariationalOptimizer
{
    private readonly CurvatureRecorder _recorder = new();
    private readonly KroneckerFactoredBlock[] _blocks;
    private readonly MatrixVariatePosterior _posterior;
    private readonly RandomStream _fisherRng;
    private readonly double[][] _m, _mean, _mhatHost, _deltaHost;
    private readonly Tensor[] _mhat, _delta;
    private readonly int[] _firstParameter;
    private readonly double[][][] _particles; // this step's samples, drawn together in BeginStep
    private int _nextParticle;
    private double _b;

    /// <param name="identityInitialFactors">start A and S at the identity and average with a plain EMA (weight beta
    /// from the first step), as the authors' regression code does (their factors start at I + 0.01 R R^T); the
    /// identity then acts as extra damping for the first ~1/beta steps. False: zero factors and the debiased start
    /// (the posterior is the prior until the first statistics).</param>
    /// <param name="klClip">kappa, the bound on the mean update's Delta^T F~ Delta (KL clipping); +infinity: no clip.</param>
    /// <param name="posteriorDamping">how gamma_in enters the posterior covariance: <see cref="PosteriorDamping.Factored"/>
    /// (the paper's (A + pi sqrt(gamma_in) I)^-1 (x) (S + sqrt(gamma_in)/pi I)^-1) or <see cref="PosteriorDamping.Eigenbasis"/>
    /// ((A (x) S + gamma_in I)^-1 exactly; see <see cref="MatrixVariateLayer"/>). The mean update is the same for both.</param>
    public NoisyKfac(IReadOnlyList<DenseTag> layers, VariationalOptions options, double statisticsDecay = 0.999,
        double momentum = 0.9, double extrinsicDamping = 0, int inverseInterval = 10, bool identityInitialFactors = false,
        PosteriorDamping posteriorDamping = PosteriorDamping.Factored, double klClip = DefaultKlClip)
        : base(ParametersOf(layers), options)
    {
        if (!(klClip > 0)) throw new ArgumentOutOfRangeException(nameof(klClip), klClip, "must be positive (double.PositiveInfinity switches the clip off)");
        KlClip = klClip;
        if (!Enum.IsDefined(posteriorDamping)) throw new ArgumentOutOfRangeException(nameof(posteriorDamping), posteriorDamping, "must be Factored or Eigenbasis");
        PosteriorDamping = posteriorDamping;
        if (!(statisticsDecay >= 0 && statisticsDecay < 1)) throw new ArgumentOutOfRangeException(nameof(statisticsDecay), statisticsDecay, "must be in [0, 1)");
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be in [0, 1)");
        if (!(extrinsicDamping >= 0) || double.IsInfinity(extrinsicDamping)) throw new ArgumentOutOfRangeException(nameof(extrinsicDamping), extrinsicDamping, "must be finite and >= 0");
        if (inverseInterval <= 0) throw new ArgumentOutOfRangeException(nameof(inverseInterval), inverseInterval, "must be positive");
        StatisticsDecay = statisticsDecay;
        Momentum = momentum;
        ExtrinsicDamping = extrinsicDamping;
        InverseInterval = inverseInterval;
        LearningRate = options.LearningRate;
        _blocks = layers.Select(t => new KroneckerFactoredBlock(t)).ToArray();
        if (identityInitialFactors)
            foreach (var block in _blocks) StartAtIdentity(block);
        _posterior = new MatrixVariatePosterior(layers, options.PriorVariance);
        foreach (var l in _posterior.Layers) l.SetIsotropic(options.PriorVariance);
        _fisherRng = new RandomStream((ulong)options.Seed ^ 0x5DEECE66DUL);
        _particles = Enumerable.Range(0, options.Particles).Select(_ => HostValues.Like(Parameters)).ToArray();
        _m = HostValues.Like(Parameters);
        _mean = HostValues.Like(Parameters);
        _mhatHost = HostValues.Like(Parameters);
        _deltaHost = HostValues.Like(Parameters);
        using (TensorScope.Suspend())
        {
            _mhat = Parameters.Select(Tensor.EmptyLike).ToArray();
            _delta = Parameters.Select(Tensor.EmptyLike).ToArray();
        }
        _firstParameter = new int[layers.Count];
        for (int l = 1; l < layers.Count; l++) _firstParameter[l] = _firstParameter[l - 1] + layers[l - 1].Parameters.Count;
    }

    private static IReadOnlyList<Tensor> ParametersOf(IReadOnlyList<DenseTag> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("noisy K-FAC needs at least one dense layer", nameof(layers));
        return layers.SelectMany(t => t.Parameters).ToArray();
    }

    /// <summary>The dense layers a forward pass records, in forward order (to build the optimizer from a model).</summary>
    public static IReadOnlyList<DenseTag> DiscoverLayers(Func<Tensor, Tensor> forward, Tensor exampleInput)
    {
        ArgumentNullException.ThrowIfNull(forward);
        var recorder = new CurvatureRecorder();
        using var scope = TensorScope.Begin();
        using (Kfac.Autodiff.GradMode.Disable())
        using (recorder.Activate()) forward(exampleInput);
        var tags = new List<DenseTag>();
        foreach (var c in recorder.Captures)
        {
            if (c.Tag is not DenseTag d) throw new NotSupportedException($"noisy K-FAC supports dense layers; the network records {c.Tag}");
            if (!tags.Contains(d)) tags.Add(d);
        }
        return tags;
    }

    /// <summary>The matrix-variate Gaussian posterior (same object as <see cref="MatrixVariate"/>).</summary>
    public override IWeightPosterior Posterior => _posterior;

    /// <summary>The per-layer matrix-variate posteriors.</summary>
    public MatrixVariatePosterior MatrixVariate => _posterior;

    /// <summary>One K-FAC block per dense layer, holding A, S and their damped inverses.</summary>
    public IReadOnlyList<KroneckerFactoredBlock> Blocks => _blocks;

    /// <summary>"noisy-kfac".</summary>
    public override string Name => "noisy-kfac";

    /// <summary>1 - beta, the factors' EMA decay (settable: the authors decay beta with the learning rate).</summary>
    public double StatisticsDecay
    {
        get => _statisticsDecay;
        set
        {
            if (!(value >= 0 && value < 1)) throw new ArgumentOutOfRangeException(nameof(StatisticsDecay), value, "must be in [0, 1)");
            _statisticsDecay = value;
        }
    }

    private double _statisticsDecay;

    /// <summary>A = I, S = I, and an update count past any debiasing so the EMA weight is beta from the first step.</summary>
    private static void StartAtIdentity(KroneckerFactoredBlock block)
    {
        block.AllocateState();
        foreach (var (name, t) in block.StateTensors())
        {
            if (name is not ("A" or "G")) continue;
            int n = t.Shape[0];
            var eye = new double[n * n];
            for (int i = 0; i < n; i++) eye[i * n + i] = 1;
            HostValues.Write(eye, t);
        }
        block.LoadStateScalars(new Dictionary<string, double> { ["update_count"] = 1 << 30, ["inverse_damping"] = double.NaN, ["pi"] = 1 });
    }

    /// <summary>mu, the decay of the momentum m.</summary>
    public double Momentum { get; }

    /// <summary>gamma_ex, added to gamma_in in the damping of the mean update.</summary>
    public double ExtrinsicDamping { get; }

    /// <summary>The default kappa of <see cref="KlClip"/>.</summary>
    public const double DefaultKlClip = 0.1;

    /// <summary>kappa, the bound on alpha mhat^T Delta = Delta^T F~ Delta of the mean update (+infinity: no clip).</summary>
    public double KlClip { get; }

    /// <summary>nu of the last applied update (1 when the clip was not active).</summary>
    public double LastStepScale { get; private set; } = 1;

    /// <summary>Steps between refreshes of the inverses and the sampling square roots.</summary>
    public int InverseInterval { get; }

    /// <summary>How the intrinsic damping enters the posterior covariance (factored, the paper's; or eigenbasis).</summary>
    public PosteriorDamping PosteriorDamping { get; }

    /// <summary>alpha, the step size of the mean update (schedules may change it between steps).</summary>
    public double LearningRate { get; set; }

    /// <summary>False: evaluate at the mean instead of a sample (K-FAC's fixed-step update of the L2-regularised loss).</summary>
    public bool NoiseEnabled { get; set; } = true;

    /// <summary>gamma = gamma_in + gamma_ex, the damping of the mean update (the product's; each factor gets its sqrt).</summary>
    public double UpdateDamping => Options.IntrinsicDamping + ExtrinsicDamping;

    /// <inheritdoc/>
    protected override CurvatureRecorder? Recorder => _recorder;

    /// <summary>Draws the step's particles in one batch (two GEMMs per layer for all of them; see
    /// <see cref="MatrixVariatePosterior.SampleMany"/>), handed out by <see cref="DrawSample"/>.</summary>
    protected override void BeginStep()
    {
        _nextParticle = 0;
        if (NoiseEnabled) _posterior.SampleMany(Rng, _particles);
    }

    /// <summary>The step's next posterior sample, or the mean when <see cref="NoiseEnabled"/> is false.</summary>
    protected override void DrawSample(double[][] into)
    {
        if (!NoiseEnabled)
        {
            ReadMean(into);
            return;
        }
        var sample = _particles[_nextParticle++];
        for (int i = 0; i < into.Length; i++) sample[i].AsSpan().CopyTo(into[i]);
    }

    /// <summary>Runs the sampled-target backward pass at this particle and folds the captures into each block's A and S.</summary>
    protected override void OnParticle(Tensor output, ILoss loss, double[][] sample, double[][] gradient)
    {
        FisherTargets.Backpropagate(loss, output, FisherEstimation.Sampled, _fisherRng, _recorder, retainGraph: false);
        var captures = _recorder.Captures;
        for (int l = 0; l < _blocks.Length; l++)
        {
            var capture = captures.FirstOrDefault(c => ReferenceEquals(c.Tag, _blocks[l].Tags[0]))
                ?? throw new InvalidOperationException($"the forward pass did not record {_blocks[l].Tags[0]}");
            _blocks[l].UpdateStatistics([capture], StatisticsDecay);
        }
    }

    /// <summary>M += alpha (S + sqrt(gamma)/pi I)^-1 mhat (A + pi sqrt(gamma) I)^-1 per layer, refreshing inverses and square roots when due.</summary>
    protected override void Update(double[][] meanGradient, double[][] meanSquaredGradient, double[][] meanSample)
    {
        bool due = StepCount == 1 || StepCount % InverseInterval == 0 || _blocks.Any(b => !b.HasInverse);
        if (due && !TryRefresh()) return;
        double gIn = Options.IntrinsicDamping;
        _b = Momentum * _b + (1 - Momentum);
        for (int i = 0; i < _m.Length; i++)
        {
            var m = _m[i];
            for (int j = 0; j < m.Length; j++)
                m[j] = Momentum * m[j] + (1 - Momentum) * (-meanGradient[i][j] - gIn * meanSample[i][j]);
            var mhat = _mhatHost[i];
            for (int j = 0; j < m.Length; j++) mhat[j] = m[j] / _b;
            HostValues.Write(mhat, _mhat[i]);
        }
        ReadMean(_mean);
        for (int l = 0; l < _blocks.Length; l++)
        {
            int first = _firstParameter[l], count = _blocks[l].Tags[0].Parameters.Count;
            var v = new Tensor[count];
            var r = new Tensor[count];
            for (int k = 0; k < count; k++)
            {
                v[k] = _mhat[first + k];
                r[k] = _delta[first + k];
            }
            // alpha (S + sqrt(gamma)/pi I)^-1 mhat (A + pi sqrt(gamma) I)^-1
            _blocks[l].MultiplyByDampedPower(v, r, -1, LearningRate);
        }
        double quadratic = 0; // mhat^T Delta; TrustRegion takes mhat^T F~^-1 mhat = mhat^T Delta / alpha
        for (int i = 0; i < _mean.Length; i++)
        {
            HostValues.Read(_delta[i], _deltaHost[i]);
            quadratic += System.Numerics.Tensors.TensorPrimitives.Dot<double>(_deltaHost[i], _mhatHost[i]);
        }
        double nu = double.IsFinite(quadratic) && LearningRate > 0 ? TrustRegion.Scale(LearningRate, quadratic / LearningRate, KlClip) : 1;
        for (int i = 0; i < _mean.Length; i++)
        {
            for (int j = 0; j < _mean[i].Length; j++)
            {
                double next = _mean[i][j] + nu * _deltaHost[i][j];
                if (!double.IsFinite(next))
                {
                    RejectedUpdates++;
                    return; // the mean is left as it was
                }
                _mean[i][j] = next;
            }
        }
        WriteMean(_mean);
        LastStepScale = nu;
    }

    /// <summary>Updates not applied because a factor could not be inverted even with raised damping (its statistics
    /// are then discarded, as K-FAC does) or the new mean was not finite. The mean is unchanged by such a step.</summary>
    public int RejectedUpdates { get; private set; }

    private bool TryRefresh()
    {
        try
        {
            Refresh();
            return true;
        }
        catch (Kfac.Linalg.LinalgException)
        {
            // factors that overflowed: start their averages afresh rather than keep folding batches into them
            foreach (var b in _blocks)
            {
                b.ResetStatistics();
            }
            foreach (var l in _posterior.Layers) l.SetIsotropic(Options.PriorVariance);
            RejectedUpdates++;
            return false;
        }
    }

    /// <summary>The blocks' damped inverses at gamma = gamma_in + gamma_ex, and the posterior's square roots at gamma_in.</summary>
    private void Refresh()
    {
        double sqrtIn = Math.Sqrt(Options.IntrinsicDamping);
        double scale = Options.KlWeight / Options.TrainingSetSize;
        for (int l = 0; l < _blocks.Length; l++)
        {
            var block = _blocks[l];
            block.RefreshInverse(Math.Sqrt(UpdateDamping));
            var tag = (DenseTag)block.Tags[0];
            int p = tag.InputDim, q = tag.OutFeatures;
            var a = new double[p * p];
            var s = new double[q * q];
            HostValues.Read(block.InputFactor!, a);
            HostValues.Read(block.OutputFactor!, s);
            if (PosteriorDamping == PosteriorDamping.Eigenbasis)
            {
                _posterior.Layers[l].SetFactorsEigenbasis(a, s, Options.IntrinsicDamping, scale);
                continue;
            }
            double pi = FactoredDamping.Pi(Trace(a, p), p, Trace(s, q), q);
            _posterior.Layers[l].SetFactors(a, FactoredDamping.InputDamping(pi, sqrtIn), s, FactoredDamping.OutputDamping(pi, sqrtIn), scale);
        }
    }

    private static double Trace(double[] a, int n)
    {
        double t = 0;
        for (int i = 0; i < n; i++) t += a[i * n + i];
        return t;
    }
}

using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// The point-estimate baseline: Adam on the mini-batch mean loss plus the prior's L2 term, i.e. weight decay
/// gamma_in = lambda/(N eta) (MAP under N(0, eta I)), evaluated at the mean (no weight noise). Its posterior is the
/// point mass at the weights, whose KL to a Gaussian prior is infinite.
/// </summary>
public sealed class PointEstimateAdam : VariationalOptimizer
{
    private readonly PointMass _posterior;
    private readonly double[][] _mean, _grad;
    private readonly HostAdam _adam;

    /// <summary>Adam on <paramref name="parameters"/> with step size and weight decay taken from <paramref name="options"/>.</summary>
    public PointEstimateAdam(IReadOnlyList<Tensor> parameters, VariationalOptions options) : base(parameters, options)
    {
        if (options.Particles != 1) throw new ArgumentException($"a point estimate uses one particle, not {options.Particles}", nameof(options));
        _posterior = new PointMass(Parameters, options.PriorVariance);
        _mean = HostValues.Like(Parameters);
        _grad = HostValues.Like(Parameters);
        _adam = new HostAdam(Parameters.Select(p => p.Numel).ToArray(), options.LearningRate);
    }

    /// <summary>The point mass at the current weights.</summary>
    public override IWeightPosterior Posterior => _posterior;

    /// <summary>"adam".</summary>
    public override string Name => "adam";

    /// <summary>Adam's step size.</summary>
    public double LearningRate { get => _adam.LearningRate; set => _adam.LearningRate = value; }

    /// <summary>One Adam step along the mean gradient plus gamma_in w (the prior's L2 term).</summary>
    protected override void Update(double[][] meanGradient, double[][] meanSquaredGradient, double[][] meanSample)
    {
        double wd = Options.IntrinsicDamping;
        ReadMean(_mean);
        for (int i = 0; i < _mean.Length; i++)
            for (int j = 0; j < _mean[i].Length; j++) _grad[i][j] = meanGradient[i][j] + wd * _mean[i][j];
        _adam.Step(_mean, _grad);
        WriteMean(_mean);
    }

    private sealed class PointMass(IReadOnlyList<Tensor> parameters, double eta) : IWeightPosterior
    {
        public IReadOnlyList<Tensor> Parameters { get; } = parameters;

        public double PriorVariance { get; } = eta;

        public void Sample(System.Random rng, double[][] into)
        {
            for (int i = 0; i < Parameters.Count; i++) HostValues.Read(Parameters[i], into[i]);
        }

        public double KlToPrior() => double.PositiveInfinity;
    }
}

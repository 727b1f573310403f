namespace Kfac.Bayes;

/// <summary>
/// The homoscedastic observation noise of Bayesian regression, y ~ N(h(x, w), 1/tau), with a Gamma variational
/// posterior q(tau) = Gamma(shape a, rate b) and the prior Gamma(a0, b0) (the authors' regression code: a0 = b0 = 6,
/// q initialised at the prior, shape and rate learned by Adam). Closed forms, per data point with residual r:
/// E_q[log N(y | h, 1/tau)] = 1/2 (psi(a) - log b) - 1/2 log(2 pi) - 1/2 (a/b) r^2;
/// KL(Gamma(a, b) || Gamma(a0, b0)) = (a - a0) psi(a) - log Gamma(a) + log Gamma(a0) + a0 (log b - log b0) + a (b0 - b)/b.
/// <see cref="Update"/> takes one Adam step on (log a, log b) along the gradient of the per-datum ELBO
/// (1/m) sum_i E[log p(y_i)] - KL/N (log parameters keep a and b positive).
/// </summary>
public sealed class GammaNoise
{
    private readonly HostAdam _adam;
    private readonly double[] _logParams = new double[2];
    private readonly double[] _grad = new double[2];

    /// <summary>q(tau) initialised at the prior Gamma(<paramref name="priorShape"/>, <paramref name="priorRate"/>) (both positive); <paramref name="learningRate"/> is Adam's step on (log a, log b).</summary>
    public GammaNoise(double priorShape = 6, double priorRate = 6, double learningRate = 0.01)
    {
        Positive(priorShape, nameof(priorShape));
        Positive(priorRate, nameof(priorRate));
        PriorShape = priorShape;
        PriorRate = priorRate;
        _logParams[0] = Math.Log(priorShape);
        _logParams[1] = Math.Log(priorRate);
        _adam = new HostAdam([2], learningRate);
    }

    /// <summary>a0, the prior's shape.</summary>
    public double PriorShape { get; }

    /// <summary>b0, the prior's rate.</summary>
    public double PriorRate { get; }

    /// <summary>a, the posterior's shape.</summary>
    public double Shape => Math.Exp(_logParams[0]);

    /// <summary>b, the posterior's rate.</summary>
    public double Rate => Math.Exp(_logParams[1]);

    /// <summary>Adam's step size on (log a, log b).</summary>
    public double LearningRate { get => _adam.LearningRate; set => _adam.LearningRate = value; }

    /// <summary>E_q[tau] = a/b.</summary>
    public double ExpectedPrecision => Shape / Rate;

    /// <summary>E_q[log tau] = psi(a) - log b.</summary>
    public double ExpectedLogPrecision => SpecialFunctions.Digamma(Shape) - Math.Log(Rate);

    /// <summary>Sets q(tau) = Gamma(shape, rate) directly.</summary>
    public void Set(double shape, double rate)
    {
        Positive(shape, nameof(shape));
        Positive(rate, nameof(rate));
        _logParams[0] = Math.Log(shape);
        _logParams[1] = Math.Log(rate);
    }

    /// <summary>sum over <paramref name="count"/> points of E_q[log N(y | h, 1/tau)], given sum r^2.</summary>
    public double ExpectedLogLikelihood(double sumSquaredResiduals, int count) =>
        count * 0.5 * (ExpectedLogPrecision - Math.Log(2 * Math.PI)) - 0.5 * ExpectedPrecision * sumSquaredResiduals;

    /// <summary>KL(Gamma(a, b)</summary>
    /// Gamma(a0, b0)) by the closed form in the class remarks.
    public double KlToPrior() => Kl(Shape, Rate, PriorShape, PriorRate);

    /// <summary>KL(Gamma(a, b) || Gamma(a0, b0)), shape-rate parameterisation.</summary>
    public static double Kl(double a, double b, double a0, double b0) =>
        (a - a0) * SpecialFunctions.Digamma(a) - SpecialFunctions.LogGamma(a) + SpecialFunctions.LogGamma(a0)
        + a0 * (Math.Log(b) - Math.Log(b0)) + a * (b0 - b) / b;

    /// <summary>One Adam ascent step of the per-datum ELBO in (log a, log b), from the mean squared residual of a
    /// mini-batch (averaged over weight samples) and the training-set size <paramref name="n"/>.</summary>
    public void Update(double meanSquaredResidual, int n)
    {
        if (!(meanSquaredResidual >= 0) || double.IsInfinity(meanSquaredResidual))
            throw new ArgumentOutOfRangeException(nameof(meanSquaredResidual), meanSquaredResidual, "must be finite and >= 0");
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "training-set size must be positive");
        double a = Shape, b = Rate, tri = SpecialFunctions.Trigamma(a);
        double dA = 0.5 * tri - 0.5 * meanSquaredResidual / b - ((a - PriorShape) * tri + (PriorRate - b) / b) / n;
        double dB = -0.5 / b + 0.5 * a * meanSquaredResidual / (b * b) - (PriorShape / b - a * PriorRate / (b * b)) / n;
        // descend the negative ELBO in log coordinates: d/dlog a = a d/da
        _grad[0] = -a * dA;
        _grad[1] = -b * dB;
        _adam.Step([_logParams], [_grad]);
    }

    /// <summary>tau ~ Gamma(a, b) (Marsaglia and Tsang 2000; shape &lt; 1 by the boost u^(1/a)).</summary>
    public double SamplePrecision(System.Random rng) => SampleGamma(rng, Shape) / Rate;

    /// <summary>A draw from Gamma(<paramref name="shape"/>, 1) (Marsaglia and Tsang 2000; shape &lt; 1 via the u^(1/shape) boost).</summary>
    public static double SampleGamma(System.Random rng, double shape)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Positive(shape, nameof(shape));
        if (shape < 1) return SampleGamma(rng, shape + 1) * Math.Pow(1 - rng.NextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Kfac.Sampling.Gaussian.Sample(rng);
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            double u = 1 - rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    private static void Positive(double x, string name)
    {
        if (!(x > 0) || double.IsInfinity(x)) throw new ArgumentOutOfRangeException(name, x, "must be positive and finite");
    }
}

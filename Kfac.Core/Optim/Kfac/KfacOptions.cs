using Kfac.Curvature;

namespace Kfac.Optim.Kfac;

public enum CurvatureStructure
{
    /// <summary>One Kronecker-factored block per layer (section 4.2).</summary>
    BlockDiagonal,
    /// <summary>Block-tridiagonal inverse across consecutive dense layers (section 4.3).</summary>
    BlockTridiagonal,
}

/// <summary>How the update's length is chosen.</summary>
public enum StepSizeRule
{
    /// <summary>alpha and mu minimise the damped quadratic model with exact Fisher-vector products (section 7).</summary>
    QuadraticModel,
    /// <summary>delta = -lr Delta + momentum * previous delta.</summary>
    FixedLearningRate,
    /// <summary>ACKTR's trust region: lr scaled so the predicted KL change is at most KlClip.</summary>
    KlClipping,
}

/// <summary>
/// K-FAC's settings (Martens & Grosse 2015), validated in one place. Defaults are the paper's autoencoder
/// settings where it states them.
/// </summary>
public sealed record KfacOptions
{
    /// <summary>Initial Levenberg-Marquardt damping lambda (the paper uses 150 for the autoencoders).</summary>
    public double InitialLambda { get; init; } = 150;

    public double MinLambda { get; init; } = 1e-8;

    public double MaxLambda { get; init; } = 1e8;

    /// <summary>L2 regularisation coefficient eta: h(theta) = loss + eta/2 |theta|^2 (paper: 1e-5).</summary>
    public double L2 { get; init; } = 1e-5;

    /// <summary>Initial per-factor damping gamma; null means sqrt(lambda + eta) (section 6.6).</summary>
    public double? InitialGamma { get; init; }

    public double MinGamma { get; init; } = 1e-8;

    public double MaxGamma { get; init; } = 1e8;

    /// <summary>Cap on the EMA weight of the old statistics: eps = min(1 - 1/k, Decay).</summary>
    public double Decay { get; init; } = 0.95;

    /// <summary>T_stats: update the factor statistics every this many steps.</summary>
    public int StatisticsInterval { get; init; } = 1;

    /// <summary>T3: recompute the damped inverses every this many steps.</summary>
    public int InverseInterval { get; init; } = 20;

    /// <summary>T1: adapt lambda by the Levenberg-Marquardt rule every this many steps.</summary>
    public int LambdaInterval { get; init; } = 5;

    /// <summary>T2: re-choose gamma among {omega2 gamma, gamma, gamma / omega2} every this many steps.</summary>
    public int GammaInterval { get; init; } = 20;

    public bool AdaptLambda { get; init; } = true;

    public bool AdaptGamma { get; init; } = true;

    public FisherEstimation Estimation { get; init; } = FisherEstimation.Sampled;

    public CurvatureStructure Structure { get; init; } = CurvatureStructure.BlockDiagonal;

    public StepSizeRule StepSize { get; init; } = StepSizeRule.QuadraticModel;

    /// <summary>Factored Tikhonov (default) or exact damping in the factors' eigenbases (block-diagonal only).</summary>
    public DampingStyle Damping { get; init; } = DampingStyle.FactoredTikhonov;

    /// <summary>Use the previous update as a second direction in the quadratic model (mu); false fixes mu = 0.</summary>
    public bool UseMomentum { get; init; } = true;

    /// <summary>Learning rate for FixedLearningRate and the maximum rate for KlClipping.</summary>
    public double LearningRate { get; init; } = 0.25;

    /// <summary>Momentum for FixedLearningRate and KlClipping.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>KL bound delta of the trust region (ACKTR uses 0.001).</summary>
    public double KlClip { get; init; } = 0.001;

    /// <summary>Fraction of the mini-batch used for the curvature statistics (the paper uses a subset; 1 = all).</summary>
    public double StatisticsFraction { get; init; } = 1;

    /// <summary>Fraction of the mini-batch used for the quadratic model's Fisher-vector products.</summary>
    public double QuadraticModelFraction { get; init; } = 1;

    /// <summary>Seed of the generator that samples Fisher targets.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>omega1 = (19/20)^T1, the lambda adjustment factor (section 6.5).</summary>
    public double Omega1 => Math.Pow(19.0 / 20.0, LambdaInterval);

    /// <summary>omega2 = sqrt(19/20)^T2, the gamma adjustment factor (section 6.6).</summary>
    public double Omega2 => Math.Pow(Math.Sqrt(19.0 / 20.0), GammaInterval);

    public double StartGamma => InitialGamma ?? Math.Sqrt(InitialLambda + L2);

    /// <summary>Throws ArgumentOutOfRangeException naming the first invalid field.</summary>
    public KfacOptions Validate()
    {
        Positive(InitialLambda, nameof(InitialLambda));
        Positive(MinLambda, nameof(MinLambda));
        if (!(MaxLambda >= MinLambda)) Fail(nameof(MaxLambda), MaxLambda, $"must be >= MinLambda ({MinLambda})");
        if (!(L2 >= 0) || double.IsInfinity(L2)) Fail(nameof(L2), L2, "must be finite and >= 0");
        if (InitialGamma is { } g) Positive(g, nameof(InitialGamma));
        Positive(MinGamma, nameof(MinGamma));
        if (!(MaxGamma >= MinGamma)) Fail(nameof(MaxGamma), MaxGamma, $"must be >= MinGamma ({MinGamma})");
        if (!(Decay >= 0 && Decay < 1)) Fail(nameof(Decay), Decay, "must be in [0, 1)");
        PositiveInt(StatisticsInterval, nameof(StatisticsInterval));
        PositiveInt(InverseInterval, nameof(InverseInterval));
        PositiveInt(LambdaInterval, nameof(LambdaInterval));
        PositiveInt(GammaInterval, nameof(GammaInterval));
        Positive(LearningRate, nameof(LearningRate));
        if (!(Momentum >= 0 && Momentum < 1)) Fail(nameof(Momentum), Momentum, "must be in [0, 1)");
        Positive(KlClip, nameof(KlClip));
        if (!(StatisticsFraction > 0 && StatisticsFraction <= 1)) Fail(nameof(StatisticsFraction), StatisticsFraction, "must be in (0, 1]");
        if (!(QuadraticModelFraction > 0 && QuadraticModelFraction <= 1)) Fail(nameof(QuadraticModelFraction), QuadraticModelFraction, "must be in (0, 1]");
        if (!Enum.IsDefined(Estimation)) Fail(nameof(Estimation), Estimation, "unknown estimation mode");
        if (!Enum.IsDefined(Structure)) Fail(nameof(Structure), Structure, "unknown structure");
        if (!Enum.IsDefined(StepSize)) Fail(nameof(StepSize), StepSize, "unknown step-size rule");
        if (!Enum.IsDefined(Damping)) Fail(nameof(Damping), Damping, "unknown damping style");
        if (Damping == DampingStyle.Eigenbasis && Structure == CurvatureStructure.BlockTridiagonal)
            Fail(nameof(Damping), Damping, "eigenbasis damping is available for the block-diagonal structure only");
        return this;
    }

    private static void Positive(double v, string name)
    {
        if (!(v > 0) || double.IsInfinity(v)) Fail(name, v, "must be positive and finite");
    }

    private static void PositiveInt(int v, string name)
    {
        if (v <= 0) Fail(name, v, "must be at least 1");
    }

    private static void Fail(string name, object value, string why) =>
        throw new ArgumentOutOfRangeException(name, value, $"KfacOptions.{name} = {value}: {why}");
}

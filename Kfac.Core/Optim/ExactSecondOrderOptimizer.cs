using Kfac.Curvature;
using Kfac.Linalg;
using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>Which exact curvature matrix the step uses (the talk's "three optimization algorithms").</summary>
public enum CurvatureKind
{
    /// <summary>Newton's method: the Hessian of the mean loss.</summary>
    Hessian,
    /// <summary>Gauss-Newton: G = E[J^T H_L J].</summary>
    GaussNewton,
    /// <summary>Natural gradient: the Fisher information (equal to G for the losses here).</summary>
    Fisher,
}

/// <summary>What one exact step did.</summary>
public sealed record ExactStepResult(double Loss, double Damping, double MinEigenvalue, double GradientNorm);

/// <summary>
/// Exact Newton, Gauss-Newton and natural-gradient steps for tiny networks: theta &lt;- theta - lr (M + damping I)^-1 g
/// with M formed densely by <see cref="ExactCurvature"/>. For the Hessian, which can be indefinite, the damping is
/// raised to make M + damping I positive definite (a Levenberg-Marquardt-style shift, reported in the result).
/// The network must be in float64. P^2 memory and P forward-mode passes per step: for studying small problems
/// and as an oracle, not for training real networks.
/// </summary>
public sealed class ExactSecondOrderOptimizer
{
    private readonly Tensor[] _parameters;

    /// <summary>Exact <paramref name="kind"/> steps on float64 <paramref name="parameters"/> (else <see cref="ArgumentException"/>) with damping &gt;= 0 and learning rate &gt; 0.</summary>
    public ExactSecondOrderOptimizer(IReadOnlyList<Tensor> parameters, ILoss loss, CurvatureKind kind, double damping = 1e-4, double learningRate = 1)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(loss);
        if (!(damping >= 0) || double.IsInfinity(damping)) throw new ArgumentOutOfRangeException(nameof(damping), damping, "must be finite and >= 0");
        if (!(learningRate > 0) || double.IsInfinity(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be positive and finite");
        foreach (var p in parameters)
            if (p.DType != DType.Float64)
                throw new ArgumentException($"exact second-order steps need float64 parameters; {p.Name} is {p.DType} (Module.To(DType.Float64))", nameof(parameters));
        _parameters = parameters.ToArray();
        Loss = loss;
        Kind = kind;
        Damping = damping;
        LearningRate = learningRate;
    }

    /// <summary>The loss whose curvature and gradient are used.</summary>
    public ILoss Loss { get; }

    /// <summary>Which exact curvature matrix M the step inverts.</summary>
    public CurvatureKind Kind { get; }

    /// <summary>The minimum damping added to M (raised further for an indefinite Hessian).</summary>
    public double Damping { get; }

    /// <summary>lr in theta &lt;- theta - lr (M + damping I)^-1 g (default 1, the full Newton-type step).</summary>
    public double LearningRate { get; }

    /// <summary>The step direction -(M + damping I)^-1 g at the current parameters, flattened (no update).</summary>
    public (double[] Direction, ExactStepResult Info) Direction(Func<Tensor, Tensor> forward, Tensor x, Tensor targets)
    {
        int p = ExactCurvature.Count(_parameters);
        var g = ExactCurvature.Gradient(forward, _parameters, Loss, x, targets);
        var m = Kind switch
        {
            CurvatureKind.Hessian => ExactCurvature.Hessian(forward, _parameters, Loss, x, targets),
            CurvatureKind.GaussNewton => ExactCurvature.GaussNewton(forward, _parameters, Loss, x),
            _ => ExactCurvature.Fisher(forward, _parameters, Loss, x),
        };
        var w = new double[p];
        SymmetricEigen.Eigenvalues(m, p, w);
        double min = p > 0 ? w[0] : 0;
        // Shift so that the smallest eigenvalue of M + d I is at least `Damping` (and never below Damping).
        double d = Math.Max(Damping, Damping - min);
        for (int i = 0; i < p; i++) m[i * p + i] += d;
        var direction = (double[])g.Clone();
        Spd.Solve<double>(m, p, direction, 1);
        for (int i = 0; i < p; i++) direction[i] = -direction[i];
        double loss;
        using (TensorScope.Begin())
        using (Autodiff.GradMode.Disable())
            loss = Loss.Value(forward(x), targets).Item();
        return (direction, new ExactStepResult(loss, d, min, Math.Sqrt(g.Sum(v => v * v))));
    }

    /// <summary>Computes <see cref="Direction"/> on the batch (<paramref name="x"/>, <paramref name="targets"/>) and adds lr times it to the parameters; returns what the step did.</summary>
    public ExactStepResult Step(Func<Tensor, Tensor> forward, Tensor x, Tensor targets)
    {
        var (direction, info) = Direction(forward, x, targets);
        int o = 0;
        foreach (var q in _parameters)
        {
            var span = q.AsSpan<double>();
            for (int i = 0; i < span.Length; i++) span[i] += LearningRate * direction[o + i];
            o += span.Length;
        }
        return info;
    }
}

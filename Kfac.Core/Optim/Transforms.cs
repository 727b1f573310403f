using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>Elementwise helpers over the backend (whole-tensor layouts).</summary>
internal static class Elementwise
{
    public static BroadcastLayout Full(Tensor t) => new(1, t.Numel, 1, BroadcastSide.None);

    /// <summary>c = a op b, all the same size.</summary>
    public static void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c) => c.Backend.Binary(op, a, b, c, Full(c), accumulate: false);
}

/// <summary>
/// update += Coefficient * parameter. Placed before a preconditioner it is an L2 penalty (coupled weight
/// decay: SGD's and Adam's weight_decay, K-FAC's eta); placed after the preconditioner and momentum it is
/// decoupled weight decay (AdamW: p -= lr * (adam + wd * p) = p (1 - lr wd) - lr adam).
/// </summary>
public sealed class AddWeightDecay(double coefficient) : IGradientTransform
{
    /// <summary>The decay coefficient (finite, &gt;= 0); 0 makes the link a no-op.</summary>
    public double Coefficient { get; } = coefficient >= 0 && !double.IsInfinity(coefficient)
        ? coefficient
        : throw new ArgumentOutOfRangeException(nameof(coefficient), coefficient, "weight decay must be finite and >= 0");

    /// <summary>Nothing to allocate: the link is stateless.</summary>
    public void Init(ParameterGroup group, OptimizerState state) { }

    /// <summary>update += Coefficient * parameter for the active parameters.</summary>
    public void Apply(UpdateContext context)
    {
        if (Coefficient == 0) return;
        foreach (int i in context.Active)
        {
            var u = context.Update(i);
            u.Backend.Axpby(Coefficient, context.Parameter(i), 1, u);
        }
    }
}

/// <summary>
/// Heavy-ball or Nesterov momentum with PyTorch SGD's semantics (state "momentum_buffer"):
/// on a parameter's first update buf = d, afterwards buf = mu buf + (1 - dampening) d; the update becomes
/// buf, or d + mu buf with Nesterov. (RMSProp's momentum is this link with dampening 0: its zero-initialised
/// buffer gives mu * 0 + d = d on the first step too.)
/// </summary>
public sealed class Momentum : IGradientTransform
{
    /// <summary>The per-parameter buffer name, as in PyTorch's SGD state.</summary>
    public const string BufferName = "momentum_buffer";
    private Tensor[] _buffers = [];

    /// <summary>Momentum mu = <paramref name="momentum"/> in [0, 1), <paramref name="dampening"/> in [0, 1], Nesterov form only with mu &gt; 0 and no dampening.</summary>
    public Momentum(double momentum, double dampening = 0, bool nesterov = false)
    {
        OptionCheck.InHalfOpenUnit(nameof(Momentum), momentum, nameof(momentum));
        OptionCheck.InClosedUnit(nameof(Momentum), dampening, nameof(dampening));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentOutOfRangeException(nameof(nesterov), nesterov, "Nesterov momentum needs momentum > 0 and dampening = 0");
        Coefficient = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    /// <summary>mu, the momentum coefficient.</summary>
    public double Coefficient { get; }

    /// <summary>Fraction of the new update withheld from the buffer (not on a parameter's first update).</summary>
    public double Dampening { get; }

    /// <summary>Whether the update is d + mu buf (Nesterov) instead of buf.</summary>
    public bool Nesterov { get; }

    /// <summary>Adds a "momentum_buffer" per parameter.</summary>
    public void Init(ParameterGroup group, OptimizerState state)
    {
        _buffers = new Tensor[group.Count];
        for (int i = 0; i < group.Count; i++) _buffers[i] = group.State(i).AddBuffer(BufferName);
    }

    /// <summary>Updates each buffer and replaces the update by buf (held in buf itself: no copy) or d + mu buf.</summary>
    public void Apply(UpdateContext context)
    {
        foreach (int i in context.Active)
        {
            var d = context.CurrentUpdate(i);
            var buf = _buffers[i];
            var backend = d.Backend;
            if (context.ParameterState(i).Step == 1) backend.Copy(d, buf);
            else backend.Axpby(1 - Dampening, d, Coefficient, buf);
            if (Nesterov) backend.Axpby(Coefficient, buf, 1, context.Update(i));
            else context.HoldUpdateIn(i, buf);
        }
    }
}

/// <summary>
/// Adam's diagonal preconditioner with bias correction (states "exp_avg", "exp_avg_sq"):
/// m = b1 m + (1 - b1) d, v = b2 v + (1 - b2) d^2, update = (m / c1) / (sqrt(v) / sqrt(c2) + eps),
/// c_k = 1 - b_k^t with t the parameter's 1-based update count. Computed as
/// m / (sqrt(v) * (c1 / sqrt(c2)) + eps * c1), which folds the step-size correction into one affine pass.
/// </summary>
public sealed class ScaleByAdam : IGradientTransform
{
    private Tensor[] _m = [];
    private Tensor[] _v = [];

    /// <summary>Adam scaling with b1 = <paramref name="beta1"/>, b2 = <paramref name="beta2"/> (both in [0, 1)) and eps = <paramref name="epsilon"/> &gt;= 0.</summary>
    public ScaleByAdam(double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        OptionCheck.InHalfOpenUnit(nameof(ScaleByAdam), beta1, nameof(beta1));
        OptionCheck.InHalfOpenUnit(nameof(ScaleByAdam), beta2, nameof(beta2));
        OptionCheck.NonNegative(nameof(ScaleByAdam), epsilon, nameof(epsilon));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>b1, decay of the first moment m.</summary>
    public double Beta1 { get; }

    /// <summary>b2, decay of the second moment v.</summary>
    public double Beta2 { get; }

    /// <summary>eps, added to the bias-corrected sqrt(v).</summary>
    public double Epsilon { get; }

    /// <summary>Adds "exp_avg" (m) and "exp_avg_sq" (v) per parameter.</summary>
    public void Init(ParameterGroup group, OptimizerState state)
    {
        _m = new Tensor[group.Count];
        _v = new Tensor[group.Count];
        for (int i = 0; i < group.Count; i++)
        {
            _m[i] = group.State(i).AddBuffer("exp_avg");
            _v[i] = group.State(i).AddBuffer("exp_avg_sq");
        }
    }

    /// <summary>Updates m and v and replaces the update by the bias-corrected m-hat / (sqrt(v-hat) + eps).</summary>
    public void Apply(UpdateContext context)
    {
        foreach (int i in context.Active)
        {
            var d = context.Update(i);
            var s = context.Scratch(i);
            var m = _m[i];
            var v = _v[i];
            var backend = d.Backend;
            long t = context.ParameterState(i).Step;
            double c1 = 1 - Math.Pow(Beta1, t);
            double c2 = 1 - Math.Pow(Beta2, t);
            backend.Axpby(1 - Beta1, d, Beta1, m);
            Elementwise.Binary(BinaryOp.Mul, d, d, s);
            backend.Axpby(1 - Beta2, s, Beta2, v);
            backend.Unary(UnaryOp.Sqrt, v, s);
            backend.Affine(s, c1 / Math.Sqrt(c2), Epsilon * c1, s);
            Elementwise.Binary(BinaryOp.Div, m, s, d);
        }
    }
}

/// <summary>
/// RMSProp's diagonal preconditioner (states "square_avg" and, centered, "grad_avg"):
/// s = alpha s + (1 - alpha) d^2; centered a = alpha a + (1 - alpha) d; update = d / (sqrt(s [- a^2]) + eps).
/// </summary>
public sealed class ScaleByRms : IGradientTransform
{
    private Tensor[] _square = [];
    private Tensor[] _mean = [];

    /// <summary>RMS scaling with smoothing <paramref name="alpha"/> in [0, 1), eps = <paramref name="epsilon"/> &gt;= 0, optionally centered.</summary>
    public ScaleByRms(double alpha = 0.99, double epsilon = 1e-8, bool centered = false)
    {
        OptionCheck.InHalfOpenUnit(nameof(ScaleByRms), alpha, nameof(alpha));
        OptionCheck.NonNegative(nameof(ScaleByRms), epsilon, nameof(epsilon));
        Alpha = alpha;
        Epsilon = epsilon;
        Centered = centered;
    }

    /// <summary>Smoothing constant of the averages.</summary>
    public double Alpha { get; }

    /// <summary>eps, added to the root in the denominator.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the denominator uses the variance estimate s - a^2.</summary>
    public bool Centered { get; }

    /// <summary>Adds "square_avg" (and "grad_avg" when centered) per parameter.</summary>
    public void Init(ParameterGroup group, OptimizerState state)
    {
        _square = new Tensor[group.Count];
        _mean = Centered ? new Tensor[group.Count] : [];
        for (int i = 0; i < group.Count; i++)
        {
            _square[i] = group.State(i).AddBuffer("square_avg");
            if (Centered) _mean[i] = group.State(i).AddBuffer("grad_avg");
        }
    }

    /// <summary>Updates the averages and replaces the update by d / (sqrt(s [- a^2]) + eps).</summary>
    public void Apply(UpdateContext context)
    {
        foreach (int i in context.Active)
        {
            var d = context.Update(i);
            var s = context.Scratch(i);
            var sq = _square[i];
            var backend = d.Backend;
            Elementwise.Binary(BinaryOp.Mul, d, d, s);
            backend.Axpby(1 - Alpha, s, Alpha, sq);
            if (Centered)
            {
                var mean = _mean[i];
                backend.Axpby(1 - Alpha, d, Alpha, mean);
                Elementwise.Binary(BinaryOp.Mul, mean, mean, s);
                Elementwise.Binary(BinaryOp.Sub, sq, s, s);
                backend.Unary(UnaryOp.Sqrt, s, s);
            }
            else backend.Unary(UnaryOp.Sqrt, sq, s);
            backend.Affine(s, 1, Epsilon, s);
            Elementwise.Binary(BinaryOp.Div, d, s, d);
        }
    }
}

using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// K-FAC's block for a dense layer (Martens &amp; Grosse 2015, section 3): F_l ~= A_{l-1} (x) G_l with
/// A = E[abar abar^T] (abar = [x; 1], the homogeneous coordinate carrying the bias) and G = E[g g^T]
/// (g = dL/ds per example). With column-stacking vec and the parameter matrix [W | b] of shape
/// [out, in + 1], (A (x) G) vec(V) = vec(G V A) and the preconditioned gradient is
/// (G + gamma/pi I)^-1 [dW | db] (A + pi gamma I)^-1 (factored Tikhonov damping, section 6.3).
/// </summary>
public sealed class KroneckerFactoredBlock : CurvatureBlock
{
    private readonly DenseTag _tag;
    private Tensor? _a, _g, _aInverse, _gInverse;
    private EigenbasisFactors? _eigen;

    /// <summary>A K-FAC block for the dense layer <paramref name="tag"/> with the given damping style.</summary>
    public KroneckerFactoredBlock(DenseTag tag, DampingStyle damping = DampingStyle.FactoredTikhonov) : base([tag])
    {
        _tag = tag;
        Damping = damping;
    }

    /// <summary>How the block is damped: factored Tikhonov (default) or in the factors' eigenbasis.</summary>
    public DampingStyle Damping { get; }

    /// <summary>"KroneckerFactored " and the tag's description (plus the eigenbasis note).</summary>
    public override string Description => $"KroneckerFactored {_tag.Description}" + (Damping == DampingStyle.Eigenbasis ? " (eigenbasis damping)" : "");

    /// <summary>E[abar abar^T], [in + 1, in + 1] (or [in, in] without bias).</summary>
    public Tensor? InputFactor => _a;

    /// <summary>E[g g^T], [out, out].</summary>
    public Tensor? OutputFactor => _g;

    /// <summary>(A + pi gamma I)^-1 after a factored-damping refresh, else null.</summary>
    public Tensor? InputFactorInverse => _aInverse;

    /// <summary>(G + gamma / pi I)^-1 after a factored-damping refresh, else null.</summary>
    public Tensor? OutputFactorInverse => _gInverse;

    /// <summary>The pi of the last refresh.</summary>
    public double Pi { get; private set; } = 1;

    private int DIn => _tag.InputDim;

    private int DOut => _tag.OutFeatures;

    /// <summary>A = EMA of E[abar abar^T] and G = EMA of E[g g^T], g = m dL/ds per example (Martens and Grosse 2015, section 3).</summary>
    protected override void AccumulateStatistics(IReadOnlyList<LayerCapture> captures, double eps)
    {
        var c = captures[0];
        var w = _tag.Weight;
        EnsureState(w);
        int m = c.BatchSize;
        var backend = w.Backend;

        // A <- eps A + (1 - eps) (1/m) sum abar abar^T
        var xbar = Homogeneous(c.Input, _tag.HasBias);
        backend.Syrk(xbar, m, DIn, (1 - eps) / m, eps, _a!);

        // G <- eps G + (1 - eps) (1/m) sum_i sum_passes g g^T, with g = m * dMeanLoss/ds.
        var grads = c.OutputGradients;
        for (int j = 0; j < grads.Count; j++)
            backend.Syrk(grads[j], m, DOut, (1 - eps) * m, j == 0 ? eps : 1, _g!);
    }

    /// <summary>[x, 1] for a batch x [m, in] (a step-scoped temporary), or x itself without a bias.</summary>
    internal static Tensor Homogeneous(Tensor x, bool withOne)
    {
        if (!withOne) return x;
        int m = x.Shape[0], n = x.Shape[1];
        var xbar = Tensor.Empty(new Shape(m, n + 1), x.DType, x.Device);
        x.Backend.CopyBlock(x, 0, n, xbar, 0, n + 1, m, n);
        x.Backend.FillBlock(xbar, n, n + 1, m, 1, 1);
        return xbar;
    }

    private void EnsureState(Tensor like)
    {
        if (_a is not null) return;
        using var outside = TensorScope.Suspend();
        _a = Tensor.Zeros(new Shape(DIn, DIn), like.DType, like.Device);
        _g = Tensor.Zeros(new Shape(DOut, DOut), like.DType, like.Device);
        _aInverse = Tensor.Zeros(new Shape(DIn, DIn), like.DType, like.Device);
        _gInverse = Tensor.Zeros(new Shape(DOut, DOut), like.DType, like.Device);
    }

    /// <summary>Factored Tikhonov: A^-1 = (A + pi gamma I)^-1 and G^-1 = (G + gamma/pi I)^-1 (section 6.3); eigenbasis damping: the eigendecompositions of A and G.</summary>
    protected override void ComputeInverse(double gamma)
    {
        if (Damping == DampingStyle.Eigenbasis)
        {
            _eigen = EigenbasisFactors.Decompose(_a!, _g!, gamma);
            return;
        }
        var backend = _a!.Backend;
        double pi = FactoredDamping.Pi(backend.Trace(_a, DIn), DIn, backend.Trace(_g!, DOut), DOut);
        backend.SpdInverse(_a, DIn, FactoredDamping.InputDamping(pi, gamma), _aInverse!);
        backend.SpdInverse(_g!, DOut, FactoredDamping.OutputDamping(pi, gamma), _gInverse!);
        Pi = pi;
    }

    /// <inheritdoc/>
    protected override bool CanKeepInverse => true;

    /// <summary>dIn^3 + dOut^3 flops: one SPD inverse per factor.</summary>
    public override double InverseCost => (double)DIn * DIn * DIn + (double)DOut * DOut * DOut;

    /// <summary>Factored damping refreshes with two SPD inverses into the block's own buffers; the eigenbasis
    /// option allocates its decomposition, so it refreshes on the calling thread.</summary>
    public override bool RefreshIsThreadSafe => Damping != DampingStyle.Eigenbasis;

    /// <inheritdoc/>
    protected override IReadOnlyList<Tensor> InverseTensors =>
        Damping == DampingStyle.Eigenbasis || _aInverse is null ? [] : [_aInverse, _gInverse!];

    /// <inheritdoc/>
    protected override object? InverseState
    {
        get => (Pi, _eigen);
        set => (Pi, _eigen) = ((double, EigenbasisFactors?))value!;
    }

    /// <summary>Any power with eigenbasis damping; only 1 and -1 with factored damping.</summary>
    protected override bool SupportsPower(double power) => Damping == DampingStyle.Eigenbasis;

    /// <summary>result = scale G^power V A^power on the [out, dIn] parameter matrix V = [DW | Db] (damped factors, or the damped eigenbasis).</summary>
    protected override void ApplyDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale)
    {
        if (Damping == DampingStyle.Eigenbasis)
        {
            var vc = WeightBiasMatrix.Combine(vector, DOut, _tag.InFeatures);
            var uc = _tag.HasBias ? Tensor.Empty(vc.Shape, vc.DType, vc.Device) : result[0];
            _eigen!.Apply(vc, uc, power);
            if (_tag.HasBias) WeightBiasMatrix.Split(uc, result, DOut, _tag.InFeatures);
            ScaleInPlace(result, scale);
            return;
        }
        var backend = _a!.Backend;
        Tensor left, right;
        if (power < 0)
        {
            left = _gInverse!;
            right = _aInverse!;
        }
        else
        {
            left = _g!.Clone();
            backend.AddToDiagonal(left, DOut, FactoredDamping.OutputDamping(Pi, InverseDamping));
            right = _a.Clone();
            backend.AddToDiagonal(right, DIn, FactoredDamping.InputDamping(Pi, InverseDamping));
        }
        // U = scale left [dW | db] right
        WeightBiasMatrix.MultiplyKronecker(left, right, vector, result, DOut, _tag.InFeatures, scale);
    }

    /// <summary>[A, G] (none before the first update).</summary>
    public override IEnumerable<Tensor> StatisticsTensors() => _a is null ? [] : [_a, _g!];

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        if (_a is null) yield break;
        yield return ("A", _a);
        yield return ("G", _g!);
        yield return ("A_inv", _aInverse!);
        yield return ("G_inv", _gInverse!);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, double Value)> StateScalars()
    {
        foreach (var s in base.StateScalars()) yield return s;
        yield return ("pi", Pi);
    }

    /// <inheritdoc/>
    public override void LoadStateScalars(IReadOnlyDictionary<string, double> scalars)
    {
        base.LoadStateScalars(scalars);
        Pi = scalars["pi"];
    }

    /// <summary>Creates the state tensors (so a checkpoint can be loaded into a fresh block).</summary>
    public override void AllocateState() => EnsureState(_tag.Weight);
}

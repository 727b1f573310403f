using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// KFC, the Kronecker-factored Fisher block of a convolution layer (Grosse and Martens 2016). With
/// abar_t the homogeneous patch at output location t (im2col row plus a 1 for the bias) and g_t the
/// per-example output gradient there (m times the captured gradient of the mean loss), over a batch of m
/// images with T = Hout Wout locations each:
/// <code>
/// Ahat = (1 / (m T)) sum_i sum_t abar_t abar_t^T      [Cin kh kw + 1, Cin kh kw + 1]   (paper eq. 23, Omega)
/// Ghat = (1 / (m T)) sum_i sum_t g_t g_t^T            [Cout, Cout]                     (paper eq. 24, Gamma)
/// F    ~= T (Ahat (x) Ghat)                                                          (paper eq. 25)
/// </code>
/// (the convention of MATH.md, TF-KFAC and kfac-jax). Under the KFC assumptions (independent activations and
/// derivatives, spatial homogeneity, spatially uncorrelated derivatives) E[vec(DW) vec(DW)^T] =
/// sum_t E[abar_t abar_t^T] (x) E[g_t g_t^T] = T Omega (x) Gamma.
/// <para>Damping is on the product: the block approximates (F + gamma^2 I) by factored Tikhonov damping of the
/// two factors OF THE PRODUCT, A = T Ahat and G = Ghat:
/// <code>
/// pi = sqrt( (tr(T Ahat) / dim A) / (tr(Ghat) / dim G) ),
/// (F + damping)^-1 ~= (T Ahat + pi gamma I)^-1 (x) (Ghat + gamma / pi I)^-1
///                  = (1/T) (Ahat + (pi gamma / T) I)^-1 (x) (Ghat + gamma / pi I)^-1.
/// </code>
/// Because pi is computed from the product's factors, the damped product does not depend on how T is split
/// between them (T Ahat (x) Ghat and Ahat (x) T Ghat give identical updates). The preconditioned gradient of
/// V = [W as (Cout, Cin kh kw) | b] is (Ghat + gamma/pi I)^-1 V (T Ahat + pi gamma I)^-1.</para>
/// <para>With <see cref="DampingStyle.Eigenbasis"/>, (T Ahat (x) Ghat + gamma^2 I)^p is applied exactly in the
/// factors' eigenbases instead (any power p), the product-level damping that factored Tikhonov approximates.</para>
/// <para>T is taken from the latest statistics batch; the factors are EMAs of per-location averages, so
/// batches of different image sizes mix consistently.</para>
/// </summary>
public sealed class KfcBlock : CurvatureBlock
{
    private readonly ConvTag _tag;
    private readonly Tensor _a, _g, _aInverse, _gInverse;
    private EigenbasisFactors? _eigen;

    /// <summary>A KFC block for the convolution <paramref name="tag"/>, with A, G and their inverses allocated on the weight's device and dtype.</summary>
    public KfcBlock(ConvTag tag, DampingStyle damping = DampingStyle.FactoredTikhonov) : base([tag])
    {
        _tag = tag;
        Damping = damping;
        var like = tag.Weight;
        using var outside = TensorScope.Suspend();
        _a = Tensor.Zeros(new Shape(DIn, DIn), like.DType, like.Device);
        _g = Tensor.Zeros(new Shape(DOut, DOut), like.DType, like.Device);
        _aInverse = Tensor.Zeros(new Shape(DIn, DIn), like.DType, like.Device);
        _gInverse = Tensor.Zeros(new Shape(DOut, DOut), like.DType, like.Device);
    }

    /// <summary>How the block is damped: factored Tikhonov (default) or in the factors' eigenbasis.</summary>
    public DampingStyle Damping { get; }

    /// <summary>"KFC " and the tag's description (plus the eigenbasis note).</summary>
    public override string Description => $"KFC {_tag.Description}" + (Damping == DampingStyle.Eigenbasis ? " (eigenbasis damping)" : "");

    /// <summary>Ahat = E over examples and locations of abar_t abar_t^T (EMA).</summary>
    public Tensor InputFactor => _a;

    /// <summary>Ghat = E over examples and locations of g_t g_t^T (EMA).</summary>
    public Tensor OutputFactor => _g;

    /// <summary>(T Ahat + pi gamma I)^-1 of the last refresh (T included).</summary>
    public Tensor InputFactorInverse => _aInverse;

    /// <summary>(Ghat + gamma / pi I)^-1 of the last refresh.</summary>
    public Tensor OutputFactorInverse => _gInverse;

    /// <summary>T, the number of output locations per image in the latest statistics batch.</summary>
    public int Locations { get; private set; }

    /// <summary>The pi of the last refresh (from the traces of T Ahat and Ghat).</summary>
    public double Pi { get; private set; } = 1;

    private int DIn => _tag.InputDim;

    private int DOut => _tag.OutChannels;

    /// <summary>Ahat = EMA of (1/(mT)) sum_i sum_t abar_t abar_t^T (eq. 23) and Ghat = EMA of (1/(mT)) sum_i sum_t g_t g_t^T (eq. 24); T is taken from this batch.</summary>
    protected override void AccumulateStatistics(IReadOnlyList<LayerCapture> captures, double eps)
    {
        var c = captures[0];
        var geometry = _tag.Geometry(c.Input);
        int m = geometry.Batch, t = geometry.Locations, rows = geometry.PatchCount;
        var backend = _a.Backend;

        // Ahat <- eps Ahat + (1 - eps) (1 / (m T)) sum abar abar^T over the m T patches. im2col gives the patches as
        // the columns of [Cin kh kw, m T]; the homogeneous coordinate is one more row of ones below them, and the
        // transposed SYRK takes the patches as columns: Ahat gets columns columns^T.
        var columns = Tensor.Empty(new Shape(DIn, rows), _a.DType, _a.Device);
        backend.Im2Col(c.Input, geometry, new Tensor(columns.Storage, new Shape(geometry.PatchSize, rows)));
        if (_tag.HasBias) backend.FillBlock(columns, geometry.PatchSize * rows, rows, 1, rows, 1);
        backend.SyrkTransposed(columns, DIn, rows, (1 - eps) / rows, eps, _a);

        // Ghat <- eps Ghat + (1 - eps) (1 / (m T)) sum g g^T with g = m dMeanLoss/ds, i.e. the captured gradients
        // (NCHW, moved to one row per location) with weight m^2 / (m T) = m / T, summed over the passes.
        var gradients = Tensor.Empty(new Shape(rows, DOut), _a.DType, _a.Device);
        var grads = c.OutputGradients;
        for (int j = 0; j < grads.Count; j++)
        {
            backend.SwapMiddleAxes(grads[j], m, DOut, t, 1, gradients);
            backend.Syrk(gradients, rows, DOut, (1 - eps) * m / t, j == 0 ? eps : 1, _g);
        }
        Locations = t;
    }

    /// <summary>Factored Tikhonov on the product's factors: (T Ahat + pi gamma I)^-1 and (Ghat + gamma/pi I)^-1; eigenbasis damping: the eigendecompositions of the factors.</summary>
    protected override void ComputeInverse(double gamma)
    {
        var backend = _a.Backend;
        double t = Locations;
        if (Damping == DampingStyle.Eigenbasis)
        {
            var scaled = Tensor.EmptyLike(_a);
            backend.Affine(_a, t, 0, scaled);
            _eigen = EigenbasisFactors.Decompose(scaled, _g, gamma);
            return;
        }
        double pi = FactoredDamping.Pi(t * backend.Trace(_a, DIn), DIn, backend.Trace(_g, DOut), DOut);
        // (T Ahat + pi gamma I)^-1 = (1/T) (Ahat + (pi gamma / T) I)^-1
        backend.SpdInverse(_a, DIn, FactoredDamping.InputDamping(pi, gamma) / t, _aInverse);
        backend.Affine(_aInverse, 1 / t, 0, _aInverse);
        backend.SpdInverse(_g, DOut, FactoredDamping.OutputDamping(pi, gamma), _gInverse);
        Pi = pi;
    }

    /// <inheritdoc/>
    protected override bool CanKeepInverse => true;

    /// <summary>dIn^3 + dOut^3 flops: one SPD inverse per factor.</summary>
    public override double InverseCost => (double)DIn * DIn * DIn + (double)DOut * DOut * DOut;

    /// <summary>As for the dense block: two SPD inverses into the block's own buffers, unless eigenbasis damping.</summary>
    public override bool RefreshIsThreadSafe => Damping != DampingStyle.Eigenbasis;

    /// <inheritdoc/>
    protected override IReadOnlyList<Tensor> InverseTensors => Damping == DampingStyle.Eigenbasis ? [] : [_aInverse, _gInverse];

    /// <inheritdoc/>
    protected override object? InverseState
    {
        get => (Pi, _eigen);
        set => (Pi, _eigen) = ((double, EigenbasisFactors?))value!;
    }

    /// <summary>Any power with eigenbasis damping; only 1 and -1 with factored damping.</summary>
    protected override bool SupportsPower(double power) => Damping == DampingStyle.Eigenbasis;

    /// <summary>result = scale (Ghat + gamma/pi I)^power V (T Ahat + pi gamma I)^power on V = [W as (Cout, Cin kh kw) | b] (or the exact damped power in the eigenbasis).</summary>
    protected override void ApplyDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale)
    {
        var backend = _a.Backend;
        if (Damping == DampingStyle.Eigenbasis)
        {
            var vc = WeightBiasMatrix.Combine(vector, DOut, _tag.PatchSize);
            var uc = _tag.HasBias ? Tensor.Empty(vc.Shape, vc.DType, vc.Device) : result[0];
            _eigen!.Apply(vc, uc, power);
            if (_tag.HasBias) WeightBiasMatrix.Split(uc, result, DOut, _tag.PatchSize);
            ScaleInPlace(result, scale);
            return;
        }
        Tensor left, right;
        if (power < 0)
        {
            left = _gInverse;
            right = _aInverse;
        }
        else
        {
            // (T Ahat + pi gamma I) and (Ghat + gamma / pi I)
            left = _g.Clone();
            backend.AddToDiagonal(left, DOut, FactoredDamping.OutputDamping(Pi, InverseDamping));
            right = Tensor.EmptyLike(_a);
            backend.Affine(_a, Locations, 0, right);
            backend.AddToDiagonal(right, DIn, FactoredDamping.InputDamping(Pi, InverseDamping));
        }
        // U = scale left V right with V = [W (Cout x Cin kh kw) | b]
        WeightBiasMatrix.MultiplyKronecker(left, right, vector, result, DOut, _tag.PatchSize, scale);
    }

    /// <summary>[A, G].</summary>
    public override IEnumerable<Tensor> StatisticsTensors() => [_a, _g];

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        yield return ("A", _a);
        yield return ("G", _g);
        yield return ("A_inv", _aInverse);
        yield return ("G_inv", _gInverse);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, double Value)> StateScalars()
    {
        foreach (var s in base.StateScalars()) yield return s;
        yield return ("pi", Pi);
        yield return ("locations", Locations);
    }

    /// <inheritdoc/>
    public override void LoadStateScalars(IReadOnlyDictionary<string, double> scalars)
    {
        base.LoadStateScalars(scalars);
        Pi = scalars["pi"];
        Locations = (int)scalars["locations"];
    }
}

using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// The Kronecker-factored block of one layer whose parameter matrix is V = [W | b] of shape [dOut, dIn]
/// (W viewed as [dOut, WeightColumns], the bias as one more column): F ~= (s A) (x) G with A [dIn, dIn] and
/// G [dOut, dOut] moving averages of the layer's statistics and s a scale the statistics choose (1 for a dense
/// layer, T = output locations for KFC). Everything after the statistics lives here, written once:
/// <list type="bullet">
/// <item>Factored Tikhonov damping (Martens &amp; Grosse 2015, section 6.3) on the factors OF THE PRODUCT:
/// pi = sqrt((tr(s A) / dIn) / (tr(G) / dOut)), (F + gamma^2 I)^-1 ~= (s A + pi gamma I)^-1 (x) (G + gamma/pi I)^-1,
/// computed as (1/s) (A + (pi gamma / s) I)^-1 so A itself is inverted (MATH.md, "KFC").</item>
/// <item>Eigenbasis damping (<see cref="DampingStyle.Eigenbasis"/>): (s A (x) G + gamma^2 I)^p exactly in the
/// factors' eigenbases, any power p (<see cref="EigenbasisFactors"/>).</item>
/// <item>Preconditioning: (F + damping)^-1 vec(V) = vec((G + gamma/pi I)^-1 V (s A + pi gamma I)^-1), eq. (6) of the
/// paper with symmetric factors (<see cref="WeightBiasMatrix.MultiplyKronecker"/>).</item>
/// <item>Kept inverses for the gamma trials, held inverses for the backend, checkpoint state ("A", "G", "A_inv",
/// "G_inv"; scalars "pi" plus what <see cref="CurvatureBlock"/> saves), allocated on the weight's device and dtype
/// on the first statistics or by <see cref="AllocateState"/>.</item>
/// </list>
/// A derived block supplies only its statistics: how one batch's capture folds into A and G
/// (<see cref="AccumulateFactors"/>), its dimensions, and s.
/// </summary>
public abstract class KroneckerBlock : CurvatureBlock
{
    private Tensor? _a, _g, _aInverse, _gInverse;
    private EigenbasisFactors? _eigen;

    /// <summary>Whether A's and G's strictly upper triangles lag their lower ones: the statistics update only the lower
    /// triangles every step (<see cref="IBackend.SyrkLower"/>; the mirror's writes, half of each factor, were 0.8 ms of
    /// the autoencoder's batch-1000 step) and every reader of the whole matrices mirrors them first
    /// (<see cref="EnsureSymmetric"/>): the refresh, the checkpoint and distributed views, the damped products.</summary>
    private bool _upperStale;

    /// <summary>A block over the single layer <paramref name="tag"/>, damped in the given style.</summary>
    protected KroneckerBlock(LayerTag tag, DampingStyle damping) : base([tag])
    {
        if (!Enum.IsDefined(damping)) throw new ArgumentOutOfRangeException(nameof(damping), damping, "not a DampingStyle");
        Damping = damping;
    }

    /// <summary>How the block is damped: factored Tikhonov (default) or in the factors' eigenbasis.</summary>
    public DampingStyle Damping { get; }

    /// <summary>The block kind ("KroneckerFactored", "KFC"), the first word of <see cref="Description"/>.</summary>
    protected abstract string Kind { get; }

    /// <summary>"Kind" and the tag's description (plus the eigenbasis note). Checkpoints store it to check the layout.</summary>
    public sealed override string Description => $"{Kind} {Tags[0].Description}" + (Damping == DampingStyle.Eigenbasis ? " (eigenbasis damping)" : "");

    /// <summary>dIn, the dimension of A: the weight's columns plus 1 for the bias (the homogeneous coordinate).</summary>
    protected abstract int InputDim { get; }

    /// <summary>dOut, the dimension of G: the rows of [W | b].</summary>
    protected abstract int OutputDim { get; }

    /// <summary>The columns of W viewed as a matrix (dense: in; conv: Cin kh kw).</summary>
    protected abstract int WeightColumns { get; }

    /// <summary>s, the scale of A in the product (s A) (x) G: 1 for a dense layer, T for KFC (Grosse &amp; Martens 2016, eq. 25).</summary>
    protected virtual double InputFactorScale => 1;

    /// <summary>The tensor whose device and dtype the factors take (the layer's weight).</summary>
    private Tensor Like => Tags[0].Parameters[0];

    /// <summary>A, the input-side factor [dIn, dIn] (E[abar abar^T]; KFC: Ahat per location). Throws before the block has state.</summary>
    public Tensor InputFactor => EnsureSymmetric()._a ?? throw NoState();

    /// <summary>G, the output-side factor [dOut, dOut] (E[g g^T]). Throws before the block has state.</summary>
    public Tensor OutputFactor => EnsureSymmetric()._g ?? throw NoState();

    /// <summary>(s A + pi gamma I)^-1 of the last factored-damping refresh (s included). Throws before the block has state.</summary>
    public Tensor InputFactorInverse => _aInverse ?? throw NoState();

    /// <summary>(G + gamma / pi I)^-1 of the last factored-damping refresh. Throws before the block has state.</summary>
    public Tensor OutputFactorInverse => _gInverse ?? throw NoState();

    /// <summary>The pi of the last refresh (from the traces of s A and G).</summary>
    public double Pi { get; private set; } = 1;

    private InvalidOperationException NoState() =>
        new($"{Description} has no factors yet: update its statistics (or AllocateState) first");

    /// <summary>A &lt;- eps A + (1 - eps) A_batch and G &lt;- eps G + (1 - eps) G_batch from one capture.</summary>
    protected sealed override void AccumulateStatistics(IReadOnlyList<LayerCapture> captures, double eps)
    {
        AllocateState();
        AccumulateFactors(captures[0], eps, _a!, _g!);
        _upperStale = true;
    }

    /// <summary>The statistics of the derived block: fold <paramref name="capture"/> into the moving averages
    /// <paramref name="a"/> and <paramref name="g"/> with weight <paramref name="eps"/> on the old value. Only the lower
    /// triangles need be updated (<see cref="IBackend.SyrkLower"/>): the block mirrors them before reading.</summary>
    protected abstract void AccumulateFactors(LayerCapture capture, double eps, Tensor a, Tensor g);

    /// <summary>Copies A's and G's lower triangles to their upper ones if the statistics left them behind; returns this.</summary>
    private KroneckerBlock EnsureSymmetric()
    {
        if (!_upperStale) return this;
        _a!.Backend.MirrorLower(_a, InputDim);
        _g!.Backend.MirrorLower(_g, OutputDim);
        _upperStale = false;
        return this;
    }

    /// <summary>Creates A, G and their inverses (zeros) on the weight's device and dtype, once; a checkpoint import
    /// and the first statistics both go through here.</summary>
    public sealed override void AllocateState()
    {
        if (_a is not null) return;
        var like = Like;
        int dIn = InputDim, dOut = OutputDim;
        using var outside = TensorScope.Suspend();
        _a = Tensor.Zeros(new Shape(dIn, dIn), like.DType, like.Device);
        _g = Tensor.Zeros(new Shape(dOut, dOut), like.DType, like.Device);
        _aInverse = Tensor.Zeros(new Shape(dIn, dIn), like.DType, like.Device);
        _gInverse = Tensor.Zeros(new Shape(dOut, dOut), like.DType, like.Device);
    }

    /// <summary>After a checkpoint import: with eigenbasis damping the decomposition is not saved (it is an object, not
    /// state tensors), so the loaded block drops its inverse (<see cref="CurvatureBlock.HasInverse"/> false) and the
    /// optimizer refreshes it before preconditioning, instead of claiming an inverse it cannot apply. With factored
    /// damping the saved A_inv, G_inv and pi are the inverse.</summary>
    public sealed override void AfterStateLoaded()
    {
        if (Damping != DampingStyle.Eigenbasis) return;
        _eigen = null;
        InverseDamping = double.NaN;
    }

    /// <summary>Factored Tikhonov on the product's factors: (s A + pi gamma I)^-1 = (1/s) (A + (pi gamma / s) I)^-1 and
    /// (G + gamma/pi I)^-1 (section 6.3); eigenbasis damping: the eigendecompositions of s A and G.</summary>
    protected sealed override void ComputeInverse(double gamma)
    {
        EnsureSymmetric();
        var a = _a!;
        var g = _g!;
        var backend = a.Backend;
        double s = InputFactorScale;
        int dIn = InputDim, dOut = OutputDim;
        if (Damping == DampingStyle.Eigenbasis)
        {
            var scaled = a;
            if (s != 1)
            {
                scaled = Tensor.EmptyLike(a);
                backend.Affine(a, s, 0, scaled);
            }
            _eigen = EigenbasisFactors.Decompose(scaled, g, gamma);
            return;
        }
        double pi = FactoredDamping.Pi(s * backend.Trace(a, dIn), dIn, backend.Trace(g, dOut), dOut);
        backend.SpdInverse(a, dIn, FactoredDamping.InputDamping(pi, gamma) / s, _aInverse!);
        if (s != 1) backend.Affine(_aInverse!, 1 / s, 0, _aInverse!);
        backend.SpdInverse(g, dOut, FactoredDamping.OutputDamping(pi, gamma), _gInverse!);
        Pi = pi;
    }

    /// <inheritdoc/>
    protected sealed override bool CanKeepInverse => true;

    /// <summary>dIn^3 + dOut^3 flops: one SPD inverse per factor.</summary>
    public sealed override double InverseCost => (double)InputDim * InputDim * InputDim + (double)OutputDim * OutputDim * OutputDim;

    /// <summary>Factored damping refreshes with two SPD inverses into the block's own buffers; the eigenbasis
    /// option allocates its decomposition, so it refreshes on the calling thread.</summary>
    public sealed override bool RefreshIsThreadSafe => Damping != DampingStyle.Eigenbasis;

    /// <inheritdoc/>
    protected sealed override IReadOnlyList<Tensor> InverseTensors =>
        Damping == DampingStyle.Eigenbasis || _aInverse is null ? [] : [_aInverse, _gInverse!];

    /// <summary>(s A + pi gamma I)^-1 and (G + gamma/pi I)^-1 are exactly symmetric (the SPD inverse mirrors its lower
    /// triangle; GuardedSpdInverse), so only their lower triangles are broadcast.</summary>
    protected sealed override bool InverseTensorsAreSymmetric => true;

    /// <inheritdoc/>
    protected sealed override object? InverseState
    {
        get => (Pi, _eigen);
        set => (Pi, _eigen) = ((double, EigenbasisFactors?))value!;
    }

    /// <summary>Any power with eigenbasis damping; only 1 and -1 with factored damping.</summary>
    protected sealed override bool SupportsPower(double power) => Damping == DampingStyle.Eigenbasis;

    /// <summary>result = scale (G + gamma/pi I)^power V (s A + pi gamma I)^power on V = [W | b] (or the exact damped
    /// power in the eigenbasis).</summary>
    protected sealed override void ApplyDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale)
    {
        int dOut = OutputDim, columns = WeightColumns;
        bool bias = vector.Count > 1;
        if (Damping == DampingStyle.Eigenbasis)
        {
            _eigen!.ApplyWeightBias(vector, result, dOut, columns, power);
            ScaleInPlace(result, scale);
            return;
        }
        var a = _a!;
        var backend = a.Backend;
        Tensor left, right;
        if (power < 0)
        {
            left = _gInverse!;
            right = _aInverse!;
        }
        else
        {
            // (G + gamma / pi I) and (s A + pi gamma I)
            EnsureSymmetric();
            double s = InputFactorScale;
            left = _g!.Clone();
            backend.AddToDiagonal(left, dOut, FactoredDamping.OutputDamping(Pi, InverseDamping));
            if (s == 1) right = a.Clone();
            else
            {
                right = Tensor.EmptyLike(a);
                backend.Affine(a, s, 0, right);
            }
            backend.AddToDiagonal(right, InputDim, FactoredDamping.InputDamping(Pi, InverseDamping));
        }
        // U = scale left [dW | db] right
        WeightBiasMatrix.MultiplyKronecker(left, right, vector, result, dOut, columns, scale);
    }

    /// <summary>[A, G] (none before the first update).</summary>
    public sealed override IEnumerable<Tensor> StatisticsTensors() => _a is null ? [] : [EnsureSymmetric()._a!, _g!];

    /// <summary>A and G are symmetric: only their lower triangles (the part the statistics update) travel.</summary>
    public sealed override bool StatisticsAreSymmetric => true;

    /// <summary>"A", "G", "A_inv", "G_inv" (none before the first update or <see cref="AllocateState"/>).</summary>
    public sealed override IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        if (_a is null) yield break;
        EnsureSymmetric();
        yield return ("A", _a);
        yield return ("G", _g!);
        yield return ("A_inv", _aInverse!);
        yield return ("G_inv", _gInverse!);
    }

    /// <summary>The base scalars and "pi".</summary>
    public override IEnumerable<(string Name, double Value)> StateScalars()
    {
        foreach (var s in base.StateScalars()) yield return s;
        yield return ("pi", Pi);
    }

    /// <summary>Restores the base scalars and "pi".</summary>
    public override void LoadStateScalars(IReadOnlyDictionary<string, double> scalars)
    {
        base.LoadStateScalars(scalars);
        Pi = scalars["pi"];
    }
}

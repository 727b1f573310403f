using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// The diagonal of <see cref="FullBlock"/>'s Fisher: d = (1/m) sum_i sum_passes u_i^2 (elementwise), damped
/// the same way, (d + gamma^2)^-1. For parameter sets too large for P x P or when the cross terms are not wanted.
/// </summary>
public sealed class DiagonalBlock : CurvatureBlock
{
    private readonly LayerTag _tag;
    private readonly IPerExampleGradients _source;
    private readonly Tensor _d, _inverse, _ones;

    /// <summary>A diagonal block for a tag that provides per-example gradients (<see cref="IPerExampleGradients"/>).</summary>
    public DiagonalBlock(LayerTag tag) : base([tag])
    {
        _tag = tag;
        _source = PerExampleGradientSource.Of(tag);
        var like = tag.Parameters[0];
        int p = _source.ParameterCount;
        using var outside = TensorScope.Suspend();
        _d = Tensor.Zeros(new Shape(p), like.DType, like.Device);
        _inverse = Tensor.Zeros(new Shape(p), like.DType, like.Device);
        _ones = Tensor.Ones(new Shape(p), like.DType, like.Device);
    }

    /// <summary>"Diagonal " and the tag's description.</summary>
    public override string Description => $"Diagonal {_tag.Description}";

    /// <summary>The diagonal of the Fisher block (EMA), [P].</summary>
    public Tensor Diagonal => _d;

    private int P => _source.ParameterCount;

    private static BroadcastLayout Elementwise(int n) => new(1, n, 1, BroadcastSide.None);

    /// <summary>d = eps d + (1 - eps) (1/m) sum_i u_i^2 over the batch's per-example gradients.</summary>
    protected override void AccumulateStatistics(IReadOnlyList<LayerCapture> captures, double eps)
    {
        var c = captures[0];
        int m = c.BatchSize;
        var backend = _d.Backend;
        var u = Tensor.Empty(new Shape(m, P), _d.DType, _d.Device);
        var batch = Tensor.Empty(new Shape(P), _d.DType, _d.Device);
        var grads = c.OutputGradients;
        for (int j = 0; j < grads.Count; j++)
        {
            _source.PerExampleGradients(c, grads[j], u);
            backend.Binary(BinaryOp.Mul, u, u, u, Elementwise(m * P), false);
            backend.SumAxis(u, 1, m, P, batch, j > 0);
        }
        // d <- eps d + (1 - eps) (1/m) sum_i u_i^2
        backend.Axpby((1 - eps) / m, batch, eps, _d);
    }

    /// <inheritdoc/>
    protected override bool CanKeepInverse => true;

    /// <inheritdoc/>
    protected override IReadOnlyList<Tensor> InverseTensors => [_inverse];

    /// <summary>inverse = 1 / (d + gamma^2), elementwise.</summary>
    protected override void ComputeInverse(double gamma)
    {
        var backend = _d.Backend;
        var damped = Tensor.Empty(_d.Shape, _d.DType, _d.Device);
        backend.Affine(_d, 1, gamma * gamma, damped);
        // P is small: check the damped diagonal on the host, naming the first bad entry.
        var host = damped.ToDoubleArray();
        for (int i = 0; i < host.Length; i++)
        {
            if (!double.IsFinite(host[i])) throw new Linalg.NonFiniteMatrixException(Description, i, i, i, host[i]);
            if (!(host[i] > 0)) throw new Linalg.NotPositiveDefiniteException(P, i, host[i], Description);
        }
        backend.Binary(BinaryOp.Div, _ones, damped, _inverse, Elementwise(P), false);
    }

    /// <summary>result = scale (d + gamma^2)^power * vector, elementwise.</summary>
    protected override void ApplyDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale)
    {
        var backend = _d.Backend;
        var v = Tensor.Empty(new Shape(P), _d.DType, _d.Device);
        FlatParameters.Pack(vector, v);
        var factor = _inverse;
        if (power > 0)
        {
            factor = Tensor.Empty(_d.Shape, _d.DType, _d.Device);
            backend.Affine(_d, 1, InverseDamping * InverseDamping, factor);
        }
        backend.Binary(BinaryOp.Mul, factor, v, v, Elementwise(P), false);
        if (scale != 1) backend.Affine(v, scale, 0, v);
        FlatParameters.Unpack(v, result);
    }

    /// <summary>[d].</summary>
    public override IEnumerable<Tensor> StatisticsTensors() => [_d];

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        yield return ("D", _d);
        yield return ("D_inv", _inverse);
    }
}

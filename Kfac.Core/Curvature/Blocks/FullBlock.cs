using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// The exact Fisher block of a small parameter set (batch-norm scale and shift, MATH.md) from per-example
/// gradients: F = (1/m) sum_i sum_passes u_i u_i^T (P x P), u_i = dL_i/dtheta as the tag computes them
/// (<see cref="IPerExampleGradients"/>). One backward pass of sampled targets gives the sampled Fisher,
/// the Fisher square-root columns of Exact estimation give the exact one. Damping is on the block itself:
/// (F + gamma^2 I), gamma^2 being what factored Tikhonov damping adds to a Kronecker product
/// ((A + pi gamma I) (x) (G + gamma / pi I) = A (x) G + gamma^2 I + cross terms), so every block of one
/// optimizer is damped on the same scale.
/// </summary>
public sealed class FullBlock : CurvatureBlock
{
    private readonly LayerTag _tag;
    private readonly IPerExampleGradients _source;
    private readonly Tensor _f, _inverse;

    /// <summary>A full P x P block for a tag that provides per-example gradients (<see cref="IPerExampleGradients"/>).</summary>
    public FullBlock(LayerTag tag) : base([tag])
    {
        _tag = tag;
        _source = PerExampleGradientSource.Of(tag);
        var like = tag.Parameters[0];
        int p = _source.ParameterCount;
        using var outside = TensorScope.Suspend();
        _f = Tensor.Zeros(new Shape(p, p), like.DType, like.Device);
        _inverse = Tensor.Zeros(new Shape(p, p), like.DType, like.Device);
    }

    /// <summary>"Full " and the tag's description.</summary>
    public override string Description => $"Full {_tag.Description}";

    /// <summary>The Fisher block F (EMA), [P, P], in the flat parameter order.</summary>
    public Tensor Matrix => _f;

    /// <summary>(F + gamma^2 I)^-1 of the last refresh.</summary>
    public Tensor Inverse => _inverse;

    private int P => _source.ParameterCount;

    /// <summary>F = eps F + (1 - eps) (1/m) sum_i u_i u_i^T over the batch's per-example gradients.</summary>
    protected override void AccumulateStatistics(IReadOnlyList<LayerCapture> captures, double eps)
    {
        var c = captures[0];
        int m = c.BatchSize;
        var u = Tensor.Empty(new Shape(m, P), _f.DType, _f.Device);
        var grads = c.OutputGradients;
        for (int j = 0; j < grads.Count; j++)
        {
            _source.PerExampleGradients(c, grads[j], u);
            // F <- eps F + (1 - eps) (1/m) U^T U, summed over the passes
            _f.Backend.Syrk(u, m, P, (1 - eps) / m, j == 0 ? eps : 1, _f);
        }
    }

    /// <inheritdoc/>
    protected override bool CanKeepInverse => true;

    /// <inheritdoc/>
    protected override IReadOnlyList<Tensor> InverseTensors => [_inverse];

    /// <summary>inverse = (F + gamma^2 I)^-1 (guarded SPD inverse).</summary>
    protected override void ComputeInverse(double gamma) => _f.Backend.SpdInverse(_f, P, gamma * gamma, _inverse);

    /// <summary>P^3 flops for the P x P inverse.</summary>
    public override double InverseCost => (double)P * P * P;

    /// <summary>One SPD inverse into the block's own buffer.</summary>
    public override bool RefreshIsThreadSafe => true;

    /// <summary>result = scale (F + gamma^2 I)^power vector (power 1 or -1).</summary>
    protected override void ApplyDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale)
    {
        var backend = _f.Backend;
        var v = Tensor.Empty(new Shape(P), _f.DType, _f.Device);
        FlatParameters.Pack(vector, v);
        var r = Tensor.Empty(new Shape(P), _f.DType, _f.Device);
        if (power < 0) backend.Gemm(false, false, P, 1, P, scale, _inverse, v, 0, r);
        else
        {
            // s (F + gamma^2 I) v
            backend.Copy(v, r);
            backend.Gemm(false, false, P, 1, P, scale, _f, v, scale * InverseDamping * InverseDamping, r);
        }
        FlatParameters.Unpack(r, result);
    }

    /// <summary>[F].</summary>
    public override IEnumerable<Tensor> StatisticsTensors() => [_f];

    /// <summary>F is symmetric.</summary>
    public override bool StatisticsAreSymmetric => true;

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        yield return ("F", _f);
        yield return ("F_inv", _inverse);
    }
}

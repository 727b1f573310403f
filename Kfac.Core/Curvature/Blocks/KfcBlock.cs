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
/// <para>Only the statistics are here: the damping, inverses, products and state are the <see cref="KroneckerBlock"/>'s,
/// with s = T the scale of Ahat in the product.</para>
/// </summary>
public sealed class KfcBlock : KroneckerBlock
{
    private readonly ConvTag _tag;

    /// <summary>A KFC block for the convolution <paramref name="tag"/>; its factors are allocated on the weight's
    /// device and dtype on the first statistics (or <see cref="KroneckerBlock.AllocateState"/>).</summary>
    public KfcBlock(ConvTag tag, DampingStyle damping = DampingStyle.FactoredTikhonov) : base(tag, damping)
    {
        _tag = tag;
    }

    /// <inheritdoc/>
    protected override string Kind => "KFC";

    /// <summary>Cin kh kw, plus 1 with a bias.</summary>
    protected override int InputDim => _tag.InputDim;

    /// <summary>Cout.</summary>
    protected override int OutputDim => _tag.OutChannels;

    /// <summary>Cin kh kw.</summary>
    protected override int WeightColumns => _tag.PatchSize;

    /// <summary>T: the product is T Ahat (x) Ghat (eq. 25).</summary>
    protected override double InputFactorScale => Locations;

    /// <summary>T, the number of output locations per image in the latest statistics batch.</summary>
    public int Locations { get; private set; }

    /// <summary>Ahat = EMA of (1/(mT)) sum_i sum_t abar_t abar_t^T (eq. 23) and Ghat = EMA of (1/(mT)) sum_i sum_t g_t g_t^T (eq. 24); T is taken from this batch.</summary>
    protected override void AccumulateFactors(LayerCapture capture, double eps, Tensor a, Tensor g)
    {
        var geometry = _tag.Geometry(capture.Input);
        int m = geometry.Batch, t = geometry.Locations, rows = geometry.PatchCount;
        int dIn = InputDim, dOut = OutputDim;
        var backend = a.Backend;

        // Ahat <- eps Ahat + (1 - eps) (1 / (m T)) sum abar abar^T over the m T patches. im2col gives the patches as
        // the columns of [Cin kh kw, m T]; the homogeneous coordinate is one more row of ones below them, and the
        // transposed SYRK takes the patches as columns: Ahat gets columns columns^T.
        var columns = Tensor.Empty(new Shape(dIn, rows), a.DType, a.Device);
        backend.Im2Col(capture.Input, geometry, new Tensor(columns.Storage, new Shape(geometry.PatchSize, rows)));
        if (_tag.HasBias) backend.FillBlock(columns, geometry.PatchSize * rows, rows, 1, rows, 1);
        backend.SyrkTransposedLower(columns, dIn, rows, (1 - eps) / rows, eps, a);

        // Ghat <- eps Ghat + (1 - eps) (1 / (m T)) sum g g^T with g = m dMeanLoss/ds, i.e. the captured gradients
        // (NCHW, moved to one row per location) with weight m^2 / (m T) = m / T, summed over the passes.
        var gradients = Tensor.Empty(new Shape(rows, dOut), a.DType, a.Device);
        var grads = capture.OutputGradients;
        for (int j = 0; j < grads.Count; j++)
        {
            backend.SwapMiddleAxes(grads[j], m, dOut, t, 1, gradients);
            backend.SyrkLower(gradients, rows, dOut, (1 - eps) * m / t, j == 0 ? eps : 1, g);
        }
        Locations = t;
    }

    /// <summary>The Kronecker scalars and "locations" (T).</summary>
    public override IEnumerable<(string Name, double Value)> StateScalars()
    {
        foreach (var s in base.StateScalars()) yield return s;
        yield return ("locations", Locations);
    }

    /// <summary>Restores the Kronecker scalars and "locations".</summary>
    public override void LoadStateScalars(IReadOnlyDictionary<string, double> scalars)
    {
        base.LoadStateScalars(scalars);
        Locations = (int)scalars["locations"];
    }
}

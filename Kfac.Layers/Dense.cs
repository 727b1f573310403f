using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>
/// Fully connected layer s = x W^T + b with W [out, in] (row i = unit i's incoming weights, PyTorch's
/// layout) and optional b [out]. In K-FAC terms (MATH.md) s_l = W_l abar_{l-1} with the bias folded into
/// the homogeneous coordinate; the layer's curvature statistics come from its input x and output s.
/// </summary>
public sealed class Dense : Module
{
    private Tensor _weight;
    private Tensor? _bias;

    /// <summary>A layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/> units, weights drawn by <paramref name="init"/>
    /// (Glorot uniform by default) from <paramref name="rng"/>; <paramref name="bias"/> adds b.</summary>
    public Dense(int inFeatures, int outFeatures, bool bias = true, Initializer? init = null, System.Random? rng = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (inFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "must be positive");
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "must be positive");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Tag = new DenseTag(() => _weight!, () => _bias, inFeatures, outFeatures);
        init ??= Initializer.GlorotUniform;
        rng ??= new System.Random(0);
        using var outside = TensorScope.Suspend();
        _weight = RegisterParameter("weight", Tensor.FromDoubles(init.Weights(outFeatures, inFeatures, rng), new Shape(outFeatures, inFeatures), dtype, device));
        if (bias)
            _bias = RegisterParameter("bias", Tensor.FromDoubles(init.Biases(outFeatures, inFeatures, rng), new Shape(outFeatures), dtype, device));
    }

    /// <summary>The input width (columns of W).</summary>
    public int InFeatures { get; }

    /// <summary>The output width (rows of W).</summary>
    public int OutFeatures { get; }

    /// <summary>W [out, in].</summary>
    public Tensor Weight => _weight;

    /// <summary>b [out], or null without a bias.</summary>
    public Tensor? Bias => _bias;

    /// <summary>The layer's curvature registration (K-FAC block kind and parameters).</summary>
    public DenseTag Tag { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Shape[1] != InFeatures)
            throw new ShapeMismatchException($"Dense({InFeatures} -> {OutFeatures}): input has shape {input.Shape}, expected [batch, {InFeatures}]", nameof(input));
        // With a bias, one op: the GEMM writes x W^T and the bias rows are added in place (no second [batch, out] tensor).
        var s = _bias is null ? input.MatMul(_weight, transOther: true) : Kfac.Ops.LinearOp.Linear(input, _weight, _bias);
        if (Kfac.Bayes.DenseOutputHook.Current is { } hook) s = hook(Tag, input, s); // e.g. local reparameterisation's noise
        CurvatureRecorder.Current?.Record(Tag, input, s);
        return s;
    }

    /// <inheritdoc/>
    protected override void OnParametersReplaced()
    {
        _weight = Parameter("weight");
        _bias = OptionalParameter("bias");
    }

    /// <inheritdoc/>
    public override string ToString() => $"Dense({InFeatures} -> {OutFeatures}{(_bias is null ? ", no bias" : "")})";
}

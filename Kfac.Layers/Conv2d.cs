using Kfac.Curvature;
using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>
/// 2-D convolution over NCHW images: weight [Cout, Cin, kh, kw], optional bias [Cout], stride and zero
/// padding (PyTorch's nn.Conv2d without dilation or groups). Lowered to im2col + one GEMM
/// (<see cref="ConvolutionOps.Conv2d(Tensor, Tensor, Tensor, ValueTuple{int, int}, ValueTuple{int, int})"/>). Records a
/// <see cref="ConvTag"/> (input, output) in Forward, so K-FAC gives it a <see cref="KfcBlock"/>.
/// </summary>
public sealed class Conv2d : Module
{
    private Tensor _weight;
    private Tensor? _bias;

    /// <summary>Square kernel, equal strides and paddings.</summary>
    public Conv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true,
        Initializer? init = null, System.Random? rng = null, DType dtype = DType.Float32, Device? device = null)
        : this(inChannels, outChannels, (kernel, kernel), (stride, stride), (padding, padding), bias, init, rng, dtype, device) { }

    /// <summary>The weights are drawn by <paramref name="init"/> (default Glorot uniform) with fan-in Cin kh kw and
    /// fan-out Cout, i.e. as the [Cout, Cin kh kw] matrix of the lowered GEMM.</summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool bias = true,
        Initializer? init = null, System.Random? rng = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "must be positive");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "must be positive");
        if (kernel.H <= 0 || kernel.W <= 0) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "must be positive");
        if (stride.H <= 0 || stride.W <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, "must be positive");
        if (padding.H < 0 || padding.W < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "must be >= 0");
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Tag = new ConvTag(() => _weight!, () => _bias, inChannels, outChannels, kernel, stride, padding);
        init ??= Initializer.GlorotUniform;
        rng ??= new System.Random(0);
        int fanIn = inChannels * kernel.H * kernel.W;
        using var outside = TensorScope.Suspend();
        _weight = RegisterParameter("weight", Tensor.FromDoubles(init.Weights(outChannels, fanIn, rng), new Shape(outChannels, inChannels, kernel.H, kernel.W), dtype, device));
        if (bias)
            _bias = RegisterParameter("bias", Tensor.FromDoubles(init.Biases(outChannels, fanIn, rng), new Shape(outChannels), dtype, device));
    }

    /// <summary>Cin, the input channels.</summary>
    public int InChannels { get; }

    /// <summary>Cout, the output channels.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel size (kh, kw).</summary>
    public (int H, int W) Kernel { get; }

    /// <summary>The stride (height, width).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>The zero padding on each side (height, width).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>W [Cout, Cin, kh, kw].</summary>
    public Tensor Weight => _weight;

    /// <summary>b [Cout], or null without a bias.</summary>
    public Tensor? Bias => _bias;

    /// <summary>The layer's curvature registration (KFC block).</summary>
    public ConvTag Tag { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Shape[1] != InChannels)
            throw new ShapeMismatchException($"{this}: input has shape {input.Shape}, expected [batch, {InChannels}, height, width]", nameof(input));
        var s = ConvolutionOps.Conv2d(input, _weight, _bias, Stride, Padding);
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
    public override string ToString() =>
        $"Conv2d({InChannels} -> {OutChannels}, kernel {Kernel.H}x{Kernel.W}, stride {Stride.H}x{Stride.W}, padding {Padding.H}x{Padding.W}{(_bias is null ? ", no bias" : "")})";
}

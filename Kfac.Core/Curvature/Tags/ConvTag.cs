using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// A 2-D convolution s = conv(x, W) + b with W [Cout, Cin, kh, kw] and optional b [Cout] (KFC, Grosse and
/// Martens 2016). The layer records its NCHW input x and output s. In KFC's notation the homogeneous patch
/// abar_t = [im2col patch of x at location t; 1] has <see cref="InputDim"/> = Cin kh kw (+ 1) entries, and the
/// block's parameter matrix is [W reshaped to (Cout, Cin kh kw) | b].
/// </summary>
public sealed class ConvTag(Func<Tensor> weight, Func<Tensor?> bias, int inChannels, int outChannels,
    (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding) : LayerTag
{
    /// <summary>W, the kernel [Cout, Cin, kh, kw].</summary>
    public Tensor Weight => weight();

    /// <summary>b, the bias [Cout], or null when the layer has none.</summary>
    public Tensor? Bias => bias();

    /// <summary>Cin, input channels.</summary>
    public int InChannels { get; } = inChannels;

    /// <summary>Cout, output channels.</summary>
    public int OutChannels { get; } = outChannels;

    /// <summary>(kh, kw), the kernel size.</summary>
    public (int H, int W) Kernel { get; } = kernel;

    /// <summary>(sh, sw), the stride.</summary>
    public (int H, int W) Stride { get; } = stride;

    /// <summary>(ph, pw), the zero padding on each side.</summary>
    public (int H, int W) Padding { get; } = padding;

    /// <summary>Whether the layer has a bias (the homogeneous coordinate 1 in abar_t).</summary>
    public bool HasBias => Bias is not null;

    /// <summary>Cin kh kw, the length of a patch.</summary>
    public int PatchSize => InChannels * Kernel.H * Kernel.W;

    /// <summary>Dimension of the input factor: the patch plus the homogeneous coordinate when there is a bias.</summary>
    public int InputDim => PatchSize + (HasBias ? 1 : 0);

    /// <summary>[W] or [W, b].</summary>
    public override IReadOnlyList<Tensor> Parameters => Bias is { } b ? [Weight, b] : [Weight];

    /// <summary>"Conv2d(Cin -> Cout, kh x kw, ...)" for logs.</summary>
    public override string Description =>
        $"Conv2d({InChannels} -> {OutChannels}, kernel {Kernel.H}x{Kernel.W}, stride {Stride.H}x{Stride.W}, padding {Padding.H}x{Padding.W})";

    /// <summary>The window geometry of this layer over an input batch x [N, Cin, H, W].</summary>
    public WindowGeometry Geometry(Tensor input)
    {
        var g = WindowGeometry.Of(Description, input, Kernel.H, Kernel.W, Stride.H, Stride.W, Padding.H, Padding.W);
        if (g.Channels != InChannels)
            throw new ShapeMismatchException($"{Description}: input has shape {input.Shape}, expected {InChannels} channels", nameof(input));
        return g;
    }

    /// <summary>KFC: T Ahat (x) Ghat (Grosse &amp; Martens 2016).</summary>
    public override CurvatureBlock CreateBlock(DampingStyle damping) => new KfcBlock(this, damping);
}

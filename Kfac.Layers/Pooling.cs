using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>A 2-D pooling window over NCHW images: kernel, stride (defaulting to the kernel) and padding. Pooling has
/// no parameters, so no curvature block.</summary>
public abstract class Pool2d : Module
{
    /// <summary>A window of <paramref name="kernel"/> moved by <paramref name="stride"/> over the input padded by <paramref name="padding"/>.</summary>
    protected Pool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding)
    {
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>The window (height, width).</summary>
    public (int H, int W) Kernel { get; }

    /// <summary>The step between windows (height, width).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>The padding added on each side (height, width).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>The layer's name in <see cref="ToString"/>.</summary>
    protected abstract string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}(kernel {Kernel.H}x{Kernel.W}, stride {Stride.H}x{Stride.W})";
}

/// <summary>Max pooling of NCHW images. The stride defaults to the kernel.</summary>
public sealed class MaxPool2d : Pool2d
{
    /// <summary>A square <paramref name="kernel"/>, <paramref name="stride"/> (default the kernel) and <paramref name="padding"/>.</summary>
    public MaxPool2d(int kernel, int? stride = null, int padding = 0)
        : this((kernel, kernel), (stride ?? kernel, stride ?? kernel), (padding, padding)) { }

    /// <summary>A rectangular <paramref name="kernel"/>, <paramref name="stride"/> and <paramref name="padding"/>.</summary>
    public MaxPool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding = default)
        : base(kernel, stride, padding) { }

    /// <inheritdoc/>
    protected override string Name => "MaxPool2d";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => PoolingOps.MaxPool2d(input, Kernel, Stride, Padding);
}

/// <summary>Average pooling of NCHW images (padding counts as zeros in the mean). The stride defaults to the kernel.</summary>
public sealed class AvgPool2d : Pool2d
{
    /// <summary>A square <paramref name="kernel"/>, <paramref name="stride"/> (default the kernel) and <paramref name="padding"/>.</summary>
    public AvgPool2d(int kernel, int? stride = null, int padding = 0)
        : this((kernel, kernel), (stride ?? kernel, stride ?? kernel), (padding, padding)) { }

    /// <summary>A rectangular <paramref name="kernel"/>, <paramref name="stride"/> and <paramref name="padding"/>.</summary>
    public AvgPool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding = default)
        : base(kernel, stride, padding) { }

    /// <inheritdoc/>
    protected override string Name => "AvgPool2d";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => PoolingOps.AvgPool2d(input, Kernel, Stride, Padding);
}

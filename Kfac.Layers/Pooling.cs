using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>A 2-D pooling window over NCHW images: kernel, stride (defaulting to the kernel) and padding. Pooling has
/// no parameters, so no curvature block.</summary>
public abstract class Pool2d : Module
{
    protected Pool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding)
    {
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
    }

    public (int H, int W) Kernel { get; }

    public (int H, int W) Stride { get; }

    public (int H, int W) Padding { get; }

    protected abstract string Name { get; }

    public override string ToString() => $"{Name}(kernel {Kernel.H}x{Kernel.W}, stride {Stride.H}x{Stride.W})";
}

/// <summary>Max pooling of NCHW images. The stride defaults to the kernel.</summary>
public sealed class MaxPool2d : Pool2d
{
    public MaxPool2d(int kernel, int? stride = null, int padding = 0)
        : this((kernel, kernel), (stride ?? kernel, stride ?? kernel), (padding, padding)) { }

    public MaxPool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding = default)
        : base(kernel, stride, padding) { }

    protected override string Name => "MaxPool2d";

    public override Tensor Forward(Tensor input) => PoolingOps.MaxPool2d(input, Kernel, Stride, Padding);
}

/// <summary>Average pooling of NCHW images (padding counts as zeros in the mean). The stride defaults to the kernel.</summary>
public sealed class AvgPool2d : Pool2d
{
    public AvgPool2d(int kernel, int? stride = null, int padding = 0)
        : this((kernel, kernel), (stride ?? kernel, stride ?? kernel), (padding, padding)) { }

    public AvgPool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding = default)
        : base(kernel, stride, padding) { }

    protected override string Name => "AvgPool2d";

    public override Tensor Forward(Tensor input) => PoolingOps.AvgPool2d(input, Kernel, Stride, Padding);
}

using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>Max pooling of NCHW images (no parameters, so no curvature block). The stride defaults to the kernel.</summary>
public sealed class MaxPool2d : Module
{
    public MaxPool2d(int kernel, int? stride = null, int padding = 0)
        : this((kernel, kernel), (stride ?? kernel, stride ?? kernel), (padding, padding)) { }

    public MaxPool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding = default)
    {
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
    }

    public (int H, int W) Kernel { get; }

    public (int H, int W) Stride { get; }

    public (int H, int W) Padding { get; }

    public override Tensor Forward(Tensor input) => PoolingOps.MaxPool2d(input, Kernel, Stride, Padding);

    public override string ToString() => $"MaxPool2d(kernel {Kernel.H}x{Kernel.W}, stride {Stride.H}x{Stride.W})";
}

/// <summary>Average pooling of NCHW images (padding counts as zeros in the mean). The stride defaults to the kernel.</summary>
public sealed class AvgPool2d : Module
{
    public AvgPool2d(int kernel, int? stride = null, int padding = 0)
        : this((kernel, kernel), (stride ?? kernel, stride ?? kernel), (padding, padding)) { }

    public AvgPool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding = default)
    {
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
    }

    public (int H, int W) Kernel { get; }

    public (int H, int W) Stride { get; }

    public (int H, int W) Padding { get; }

    public override Tensor Forward(Tensor input) => PoolingOps.AvgPool2d(input, Kernel, Stride, Padding);

    public override string ToString() => $"AvgPool2d(kernel {Kernel.H}x{Kernel.W}, stride {Stride.H}x{Stride.W})";
}

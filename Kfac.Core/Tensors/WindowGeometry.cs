namespace Kfac.Tensors;

/// <summary>
/// A sliding window over a batch of NCHW images: the geometry shared by convolution (im2col / col2im) and
/// pooling. The input is [Batch, Channels, Height, Width]; the window is KernelH x KernelW, moved by
/// (StrideH, StrideW) over the image zero-padded by (PadH, PadW) on each side, giving
/// OutHeight = (Height + 2 PadH - KernelH) / StrideH + 1 rows of window positions (floor division) and
/// likewise OutWidth. Window position (oh, ow) covers input rows oh StrideH - PadH + [0, KernelH) and
/// columns ow StrideW - PadW + [0, KernelW).
/// </summary>
public readonly record struct WindowGeometry(
    int Batch, int Channels, int Height, int Width,
    int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW)
{
    /// <summary>Rows of window positions: (Height + 2 PadH - KernelH) / StrideH + 1 (floor).</summary>
    public int OutHeight => (Height + 2 * PadH - KernelH) / StrideH + 1;

    /// <summary>Columns of window positions: (Width + 2 PadW - KernelW) / StrideW + 1 (floor).</summary>
    public int OutWidth => (Width + 2 * PadW - KernelW) / StrideW + 1;

    /// <summary>T, the number of window positions per image (output locations of a convolution).</summary>
    public int Locations => OutHeight * OutWidth;

    /// <summary>Elements of one patch, Channels * KernelH * KernelW (the columns of im2col).</summary>
    public int PatchSize => Channels * KernelH * KernelW;

    /// <summary>Rows of im2col: Batch * Locations.</summary>
    public int PatchCount => Batch * Locations;

    /// <summary>Elements of the input, Batch * Channels * Height * Width.</summary>
    public int InputNumel => Batch * Channels * Height * Width;

    /// <summary>The geometry of a window over <paramref name="input"/> ([N, C, H, W]); checks everything and
    /// names <paramref name="op"/> and the input's shape in the exception.</summary>
    public static WindowGeometry Of(string op, Tensor input, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4)
            throw new ShapeMismatchException($"{op}: argument 'input' must be [batch, channels, height, width], got shape {input.Shape}", "input");
        var g = new WindowGeometry(input.Shape[0], input.Shape[1], input.Shape[2], input.Shape[3], kernelH, kernelW, strideH, strideW, padH, padW);
        g.Validate(op, input.Shape);
        return g;
    }

    /// <summary>Throws if the window does not fit: kernel and stride at least 1, padding at least 0, and at
    /// least one window position in each direction.</summary>
    public void Validate(string op, Shape inputShape)
    {
        if (KernelH < 1 || KernelW < 1)
            throw new ArgumentOutOfRangeException("kernel", $"{op}: kernel {KernelH}x{KernelW} must be at least 1x1");
        if (StrideH < 1 || StrideW < 1)
            throw new ArgumentOutOfRangeException("stride", $"{op}: stride ({StrideH}, {StrideW}) must be at least 1");
        if (PadH < 0 || PadW < 0)
            throw new ArgumentOutOfRangeException("padding", $"{op}: padding ({PadH}, {PadW}) must be >= 0");
        if (Height + 2 * PadH < KernelH || Width + 2 * PadW < KernelW)
            throw new ShapeMismatchException(
                $"{op}: input {inputShape} padded by ({PadH}, {PadW}) is smaller than the {KernelH}x{KernelW} kernel", "input");
    }

    /// <summary>"[N, C, H, W] kernel KhxKw stride (sh, sw) padding (ph, pw) -> OHxOW", for messages.</summary>
    public override string ToString() =>
        $"[{Batch}, {Channels}, {Height}, {Width}] kernel {KernelH}x{KernelW} stride ({StrideH}, {StrideW}) padding ({PadH}, {PadW}) -> {OutHeight}x{OutWidth}";
}

using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// The affine part of batch normalisation, y = gamma_c xhat + beta_c per channel c, over [N, C] or
/// [N, C, H, W] inputs. The layer records the NORMALISED input xhat as the capture's input and y as its
/// output. Per-example gradients (times m, because captured gradients are of the mean loss):
/// u_i(gamma_c) = m sum_{h,w} xhat[i, c, h, w] dy[i, c, h, w], u_i(beta_c) = m sum_{h,w} dy[i, c, h, w].
/// With 2C parameters a full Fisher block is cheap (MATH.md, "KFC, convolution layers").
/// </summary>
public sealed class BatchNormTag(Func<Tensor> scale, Func<Tensor> shift, int channels) : LayerTag, IPerExampleGradients
{
    /// <summary>gamma, the per-channel scale parameter [C] (read through the layer, so a replaced tensor is seen).</summary>
    public Tensor Scale => scale();

    /// <summary>beta, the per-channel shift parameter [C].</summary>
    public Tensor Shift => shift();

    /// <summary>C, the number of normalised channels.</summary>
    public int Channels { get; } = channels;

    /// <inheritdoc/>
    public int ParameterCount => 2 * Channels;

    /// <summary>Full (default) or diagonal Fisher block.</summary>
    public ParameterBlockKind BlockKind { get; set; } = ParameterBlockKind.Full;

    /// <summary>[Scale, Shift]: the per-example gradient columns are the C scale entries, then the C shift entries.</summary>
    public override IReadOnlyList<Tensor> Parameters => [Scale, Shift];

    /// <summary>"BatchNorm(C)".</summary>
    public override string Description => $"BatchNorm({Channels})";

    /// <summary>Writes u_i = m [sum_{h,w} xhat dy per channel ; sum_{h,w} dy per channel] into row i of <paramref name="result"/> ([m, 2C]); throws <see cref="ShapeMismatchException"/> for mismatched shapes.</summary>
    public void PerExampleGradients(LayerCapture capture, Tensor outputGradient, Tensor result)
    {
        ArgumentNullException.ThrowIfNull(capture);
        var xhat = capture.Input;
        if (outputGradient.Shape != xhat.Shape)
            throw new ShapeMismatchException($"{Description}.PerExampleGradients", nameof(outputGradient), xhat.Shape, outputGradient.Shape);
        int m = xhat.Shape[0], c = Channels;
        if (xhat.Shape[1] != c)
            throw new ShapeMismatchException($"{Description}: captured input has shape {xhat.Shape}, expected {c} channels", nameof(capture));
        var expected = new Shape(m, 2 * c);
        if (result.Shape != expected) throw new ShapeMismatchException($"{Description}.PerExampleGradients", nameof(result), expected, result.Shape);
        int locations = xhat.Numel / (m * c);
        var backend = xhat.Backend;
        var product = Tensor.EmptyLike(xhat);
        backend.Binary(BinaryOp.Mul, xhat, outputGradient, product, new BroadcastLayout(1, xhat.Numel, 1, BroadcastSide.None), false);
        var sums = Tensor.Empty(new Shape(m, c), xhat.DType, xhat.Device);
        // gamma: sum over locations of xhat * dy, per (example, channel)
        backend.SumAxis(product, m * c, locations, 1, sums, false);
        backend.CopyBlock(sums, 0, c, result, 0, 2 * c, m, c);
        // beta: sum over locations of dy
        backend.SumAxis(outputGradient, m * c, locations, 1, sums, false);
        backend.CopyBlock(sums, 0, c, result, c, 2 * c, m, c);
        backend.Affine(result, m, 0, result);
    }
}

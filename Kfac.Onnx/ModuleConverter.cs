using Kfac.Layers;

namespace Kfac.Onnx;

/// <summary>
/// The ONNX form of each built-in layer (opset 17 operator definitions, onnx/docs/Operators.md), evaluation-mode
/// semantics. Each conversion reproduces the layer's Forward exactly:
/// <list type="bullet">
/// <item>Dense s = x W^T + b: Gemm(x, W, b) with transB = 1 (alpha = beta = 1).</item>
/// <item>Conv2d: Conv with kernel_shape, strides, pads [top, left, bottom, right] = [pH, pW, pH, pW], no dilation,
/// one group (PyTorch's cross-correlation, which is ONNX's).</item>
/// <item>MaxPool2d: MaxPool (padding is -inf in both); AvgPool2d: AveragePool with count_include_pad = 1 (our
/// mean counts the zero padding); both with floor output sizes (ceil_mode = 0).</item>
/// <item>BatchNorm in eval mode: BatchNormalization(x, gamma, beta, running_mean, running_var) with the layer's
/// epsilon: y = gamma (x - mean) / sqrt(var + eps) + beta; without affine gamma = 1, beta = 0.</item>
/// <item>Sigmoid, Tanh, Relu, Softplus: the ONNX ops of the same names; Identity: no node.</item>
/// <item>Flatten [n, ...] -> [n, prod]: Flatten(axis = 1); Unflatten: Reshape to [-1, dims...].</item>
/// </list>
/// </summary>
internal static class ModuleConverter
{
    public static string Convert(Module module, OnnxGraphBuilder g, string x, string path)
    {
        string node = path.Length == 0 ? "model" : path;
        string Param(string name) => path.Length == 0 ? name : path + "." + name;
        switch (module)
        {
            case IOnnxConvertible custom:
                return custom.ToOnnx(g, x, path);
            case Sequential seq:
                for (int i = 0; i < seq.Layers.Count; i++)
                    x = Convert(seq.Layers[i], g, x, path.Length == 0 ? $"{i}" : $"{path}.{i}");
                return x;
            case Dense d:
            {
                var inputs = new List<string> { x, g.AddInitializer(Param("weight"), d.Weight) };
                if (d.Bias is { } b) inputs.Add(g.AddInitializer(Param("bias"), b));
                return g.AddNode("Gemm", node, inputs, OnnxGraphBuilder.Int("transB", 1));
            }
            case Conv2d c:
            {
                var inputs = new List<string> { x, g.AddInitializer(Param("weight"), c.Weight) };
                if (c.Bias is { } b) inputs.Add(g.AddInitializer(Param("bias"), b));
                return g.AddNode("Conv", node, inputs,
                    OnnxGraphBuilder.Ints("kernel_shape", c.Kernel.H, c.Kernel.W),
                    OnnxGraphBuilder.Ints("strides", c.Stride.H, c.Stride.W),
                    OnnxGraphBuilder.Ints("pads", c.Padding.H, c.Padding.W, c.Padding.H, c.Padding.W),
                    OnnxGraphBuilder.Ints("dilations", 1, 1),
                    OnnxGraphBuilder.Int("group", 1));
            }
            case MaxPool2d p:
                return g.AddNode("MaxPool", node, [x], PoolAttributes(p));
            case AvgPool2d p:
                return g.AddNode("AveragePool", node, [x], [.. PoolAttributes(p), OnnxGraphBuilder.Int("count_include_pad", 1)]);
            case BatchNorm bn:
            {
                string scale = bn.Scale is { } s ? g.AddInitializer(Param("weight"), s) : g.AddFilledInitializer(Param("weight"), bn.Features, 1);
                string shift = bn.Shift is { } t ? g.AddInitializer(Param("bias"), t) : g.AddFilledInitializer(Param("bias"), bn.Features, 0);
                return g.AddNode("BatchNormalization", node,
                    [x, scale, shift, g.AddInitializer(Param("running_mean"), bn.RunningMean), g.AddInitializer(Param("running_var"), bn.RunningVar)],
                    OnnxGraphBuilder.Float("epsilon", (float)bn.Eps),
                    OnnxGraphBuilder.Float("momentum", (float)(1 - bn.Momentum)));
            }
            case Sigmoid: return g.AddNode("Sigmoid", node, [x]);
            case Tanh: return g.AddNode("Tanh", node, [x]);
            case Relu: return g.AddNode("Relu", node, [x]);
            case Softplus: return g.AddNode("Softplus", node, [x]);
            case Identity: return x;
            case Flatten: return g.AddNode("Flatten", node, [x], OnnxGraphBuilder.Int("axis", 1));
            case Unflatten u:
                return g.AddNode("Reshape", node, [x, g.AddInt64Initializer(Param("shape"), [-1, .. u.Shape.Select(d => (long)d)])]);
            default:
                throw new NotSupportedException(
                    $"ONNX export: module '{(path.Length == 0 ? "(root)" : path)}' is a {module.GetType().Name}, which has no ONNX conversion. " +
                    "Supported: Sequential, Dense, Conv2d, MaxPool2d, AvgPool2d, BatchNorm, Sigmoid, Tanh, Relu, Softplus, Identity, Flatten, Unflatten, " +
                    $"and modules implementing {nameof(IOnnxConvertible)}.");
        }
    }

    private static Proto.AttributeProto[] PoolAttributes(Pool2d p) =>
    [
        OnnxGraphBuilder.Ints("kernel_shape", p.Kernel.H, p.Kernel.W),
        OnnxGraphBuilder.Ints("strides", p.Stride.H, p.Stride.W),
        OnnxGraphBuilder.Ints("pads", p.Padding.H, p.Padding.W, p.Padding.H, p.Padding.W),
        OnnxGraphBuilder.Int("ceil_mode", 0),
    ];
}

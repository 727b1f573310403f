using Google.Protobuf;
using Kfac.Autodiff;
using Kfac.Layers;
using Kfac.Onnx.Proto;
using Kfac.Serialization;
using Kfac.Tensors;

namespace Kfac.Onnx;

/// <summary>
/// Exports a trained model to a standard ONNX file (IR version 8, default-domain opset 17) that ONNX Runtime,
/// onnx.checker or Netron read. The graph computes the model's evaluation-mode forward pass (batch norm with its
/// running statistics) on an input [batch, inputShape...] whose batch dimension is symbolic; weights are stored
/// as initializers named as in the state dict. Supported layers are listed on <see cref="ModuleConverter"/>;
/// custom modules implement <see cref="IOnnxConvertible"/>.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator-set version the exporter targets (the node definitions follow it).</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version that opset 17 belongs to (ONNX 1.12).</summary>
    public const int IrVersion = 8;

    /// <summary>Writes the ONNX model of <paramref name="model"/> to <paramref name="path"/> atomically (a failed
    /// export leaves an existing file untouched). <paramref name="inputShape"/> is one example's shape without the
    /// batch dimension: [784] for flat images, [1, 28, 28] for NCHW ones.</summary>
    public static void Save(Module model, string path, int[] inputShape, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = ToBytes(model, inputShape, options);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary><see cref="Save(Module, string, int[], OnnxExportOptions?)"/> with the example shape read from the
    /// model's first layer (see <see cref="InferExampleShape"/>).</summary>
    public static void Save(Module model, string path, OnnxExportOptions? options = null) =>
        Save(model, path, InferExampleShape(model), options);

    /// <summary>One example's input shape as far as the model's first layer fixes it: [in] for a Dense layer,
    /// [prod(dims)] for an Unflatten (flat inputs reshaped to images). A model that starts with a convolution or
    /// pooling layer accepts any image size, so it needs the explicit shape (an ArgumentException says so).</summary>
    public static int[] InferExampleShape(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var first = model;
        while (first is Sequential seq)
        {
            if (seq.Layers.Count == 0) throw new ArgumentException("an empty Sequential has no input shape; pass the example shape explicitly", nameof(model));
            first = seq.Layers[0];
        }
        return first switch
        {
            Dense d => [d.InFeatures],
            Unflatten u => [u.Shape.Aggregate(1, (p, d) => p * d)],
            _ => throw new ArgumentException($"the model's first layer ({first}) does not fix the input shape; pass the example shape (e.g. [channels, height, width]) explicitly", nameof(model)),
        };
    }

    /// <summary>The serialized ONNX model (see <see cref="Save(Module, string, int[], OnnxExportOptions?)"/>).</summary>
    public static byte[] ToBytes(Module model, int[] inputShape, OnnxExportOptions? options = null) =>
        ToModelProto(model, inputShape, options).ToByteArray();

    /// <summary>The ONNX ModelProto message of <paramref name="model"/> (see <see cref="Save(Module, string, int[], OnnxExportOptions?)"/>).</summary>
    public static ModelProto ToModelProto(Module model, int[] inputShape, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        options ??= new OnnxExportOptions();
        if (inputShape.Length == 0 || inputShape.Any(d => d <= 0))
            throw new ArgumentOutOfRangeException(nameof(inputShape), $"ONNX export needs one example's shape with positive dimensions (no batch dimension), got [{string.Join(", ", inputShape)}]");
        if (options.InputName == options.OutputName)
            throw new ArgumentException($"input and output names must differ, both are '{options.InputName}'", nameof(options));
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this exporter runs on little-endian machines only");
        var dtype = ModelDType(model);
        var device = model.StateDict().Values.FirstOrDefault()?.Device ?? Device.Cpu;
        int[] outputShape = EvalOutputShape(model, inputShape, dtype, device);

        var graph = new GraphProto { Name = options.GraphName };
        var builder = new OnnxGraphBuilder(graph, dtype);
        builder.UniqueName(options.InputName);
        builder.UniqueName(options.OutputName);
        graph.Input.Add(ValueInfo(options.InputName, builder.ElementType, options.BatchDimension, inputShape));
        string last = ModuleConverter.Convert(model, builder, options.InputName, "");
        builder.BindOutput(last, options.OutputName);
        graph.Output.Add(ValueInfo(options.OutputName, builder.ElementType, options.BatchDimension, outputShape));

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Kfac",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
            DocString = options.Description ?? "",
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (k, v) in options.Metadata ?? new Dictionary<string, string>())
            proto.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return proto;
    }

    private static DType ModelDType(Module model)
    {
        var dtypes = model.StateDict().Values.Select(t => t.DType).Distinct().ToList();
        if (dtypes.Count > 1)
            throw new ArgumentException($"ONNX export needs one element type, the model mixes {string.Join(" and ", dtypes)}", nameof(model));
        return dtypes.Count == 1 ? dtypes[0] : DType.Float32;
    }

    /// <summary>Runs one evaluation-mode forward pass on a zero batch of two examples to check that the model
    /// accepts <paramref name="inputShape"/> (a clear shape error now rather than a broken file) and to learn the
    /// output shape; the model's train/eval flags are restored.</summary>
    private static int[] EvalOutputShape(Module model, int[] inputShape, DType dtype, Device device)
    {
        var training = model.Modules().Select(m => (m, m.IsTraining)).ToList();
        try
        {
            model.Eval();
            using var noGrad = GradMode.Disable();
            using var scope = TensorScope.Begin();
            var y = model.Forward(Tensor.Zeros(new Shape([2, .. inputShape]), dtype, device));
            if (y.Rank < 1 || y.Shape[0] != 2)
                throw new NotSupportedException($"ONNX export needs a model that keeps the batch dimension first; input [2, {string.Join(", ", inputShape)}] gave {y.Shape}");
            return y.Shape.ToArray()[1..];
        }
        finally
        {
            foreach (var (m, t) in training) m.Train(t);
        }
    }

    private static ValueInfoProto ValueInfo(string name, int elementType, string batch, int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (int d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } },
        };
    }
}

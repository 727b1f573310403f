using System.Runtime.InteropServices;
using Google.Protobuf;
using Kfac.Onnx.Proto;
using Kfac.Tensors;

namespace Kfac.Onnx;

/// <summary>
/// Accumulates the nodes and initializers of one ONNX graph while the exporter walks a module tree. Values are
/// named by the module path that produced them ("3.weight", "3/Gemm"), the names PyTorch's exporter uses, so a
/// graph viewer shows the same names as <see cref="Kfac.Layers.Module.StateDict"/>. Custom modules implementing
/// <see cref="IOnnxConvertible"/> emit their nodes through this class.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    internal OnnxGraphBuilder(GraphProto graph, DType dtype)
    {
        _graph = graph;
        DType = dtype;
    }

    /// <summary>The element type of the exported model (every initializer and activation).</summary>
    public DType DType { get; }

    /// <summary>ONNX's element type code for <see cref="DType"/> (TensorProto.DataType: FLOAT = 1, DOUBLE = 11).</summary>
    public int ElementType => DType == DType.Float32 ? (int)TensorProto.Types.DataType.Float : (int)TensorProto.Types.DataType.Double;

    /// <summary>A graph-unique value name starting with <paramref name="stem"/> (a suffix is added on a clash).</summary>
    public string UniqueName(string stem)
    {
        ArgumentException.ThrowIfNullOrEmpty(stem);
        string name = stem;
        for (int i = 1; !_names.Add(name); i++) name = $"{stem}_{i}";
        return name;
    }

    /// <summary>Adds <paramref name="value"/> (converted to the model's dtype, row-major, little-endian raw data)
    /// as a constant of the graph and returns its name.</summary>
    public string AddInitializer(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        name = UniqueName(name);
        var proto = new TensorProto { Name = name, DataType = ElementType };
        foreach (int d in value.Shape) proto.Dims.Add(d);
        proto.RawData = DType == DType.Float32
            ? ByteString.CopyFrom(MemoryMarshal.AsBytes(value.ToArray<float>().AsSpan()))
            : ByteString.CopyFrom(MemoryMarshal.AsBytes(value.ToDoubleArray().AsSpan()));
        _graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>Adds a constant of the model's dtype filled with <paramref name="fill"/> and shape [length].</summary>
    public string AddFilledInitializer(string name, int length, double fill)
    {
        using var t = Tensor.Full(new Shape(length), fill, DType);
        return AddInitializer(name, t);
    }

    /// <summary>Adds an int64 constant (shapes for Reshape) and returns its name.</summary>
    public string AddInt64Initializer(string name, IEnumerable<long> values)
    {
        name = UniqueName(name);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Int64Data.AddRange(values);
        proto.Dims.Add(proto.Int64Data.Count);
        _graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>Appends a node of the default ONNX domain and returns the name of its single output.</summary>
    public string AddNode(string opType, string nodeName, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        var node = new NodeProto { OpType = opType, Name = UniqueName(nodeName + "/" + opType) };
        node.Input.AddRange(inputs);
        string output = UniqueName(nodeName + "/" + opType + "_output");
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>An INTS attribute (kernel_shape, strides, pads).</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>An INT attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A FLOAT attribute.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>Renames the output of the node that produced <paramref name="value"/> (the graph's last value) to
    /// <paramref name="outputName"/>; when no node produced it (an identity model), adds an Identity node.</summary>
    internal void BindOutput(string value, string outputName)
    {
        var producer = _graph.Node.LastOrDefault(n => n.Output.Contains(value));
        if (producer is null)
        {
            var identity = new NodeProto { OpType = "Identity", Name = UniqueName("output/Identity") };
            identity.Input.Add(value);
            identity.Output.Add(outputName);
            _graph.Node.Add(identity);
            return;
        }
        producer.Output[producer.Output.IndexOf(value)] = outputName;
    }
}

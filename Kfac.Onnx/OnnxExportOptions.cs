namespace Kfac.Onnx;

/// <summary>Names and metadata of an exported ONNX model. The defaults suit ONNX Runtime and Netron.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The graph input's name (what a runtime feeds).</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The graph output's name.</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>The symbolic name of the batch dimension (dimension 0 of input and output).</summary>
    public string BatchDimension { get; init; } = "batch";

    /// <summary>The graph's name.</summary>
    public string GraphName { get; init; } = "kfac";

    /// <summary>Optional description stored in the model (ModelProto.doc_string).</summary>
    public string? Description { get; init; }

    /// <summary>Extra key/value metadata (ModelProto.metadata_props), e.g. the training run that produced it.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

namespace Kfac.Onnx;

/// <summary>
/// Implemented by a custom <see cref="Kfac.Layers.Module"/> that knows its ONNX form. The exporter calls
/// <see cref="ToOnnx"/> instead of failing on a module type it does not know.
/// </summary>
public interface IOnnxConvertible
{
    /// <summary>Appends this module's nodes (and initializers) to <paramref name="graph"/>, reading the value named
    /// <paramref name="input"/>, and returns the name of the value the module outputs. <paramref name="path"/> is
    /// the module's dotted path in the model ("3", "encoder.1"), the prefix for its parameter names.</summary>
    string ToOnnx(OnnxGraphBuilder graph, string input, string path);
}

using Kfac.Layers;
using Kfac.Onnx;

namespace Kfac.Examples;

/// <summary>The examples' <c>--export-onnx FILE</c>: the trained model as a standard ONNX file (Kfac.Onnx).</summary>
public static class OnnxExportOption
{
    /// <summary>Exports <paramref name="model"/> to <see cref="RunSettings.ExportOnnx"/> when it is set; the example
    /// shape comes from the model's first layer (all examples take flat 784-pixel images).</summary>
    public static void ExportIfRequested(RunSettings s, Module model)
    {
        if (s.ExportOnnx is null) return;
        OnnxExport.Save(model, s.ExportOnnx, new OnnxExportOptions
        {
            Description = $"trained by Kfac ({s.Optimizer}, batch {s.BatchSize}, seed {s.Seed})",
            Metadata = new Dictionary<string, string> { ["optimizer"] = s.Optimizer, ["data"] = s.Data },
        });
        Console.WriteLine($"onnx: {s.ExportOnnx}");
    }
}

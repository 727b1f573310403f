using Kfac.Layers;
using Kfac.Onnx;
using Kfac.Plot;

namespace Kfac.Examples;

/// <summary>What the examples write after training besides the checkpoint: <c>--export-onnx FILE</c> (the model as
/// standard ONNX, Kfac.Onnx) and <c>--plot FILE.png</c> (the run's training curves, tools/Kfac.Plot).</summary>
public static class RunOutputs
{
    /// <summary>Rejects option combinations that could only fail after training.</summary>
    public static RunSettings Validate(RunSettings s)
    {
        if (s.Plot is not null && s.Log is null)
            throw new ArgumentException($"--plot {s.Plot} draws the metrics log: give --log FILE.jsonl too");
        if (s.Plot is not null && !s.Plot.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--plot must name a .png file, got '{s.Plot}'");
        return s;
    }

    /// <summary>Writes the requested outputs of a finished run.</summary>
    public static void Write(RunSettings s, Module model)
    {
        if (s.ExportOnnx is not null)
        {
            // The example shape comes from the model's first layer (all examples take flat 784-pixel images).
            OnnxExport.Save(model, s.ExportOnnx, new OnnxExportOptions
            {
                Description = $"trained by Kfac ({s.Optimizer}, batch {s.BatchSize}, seed {s.Seed})",
                Metadata = new Dictionary<string, string> { ["optimizer"] = s.Optimizer, ["data"] = s.Data },
            });
            Console.WriteLine($"onnx: {s.ExportOnnx}");
        }
        if (s.Plot is not null && s.Log is not null)
        {
            TrainingCurves.SavePng(s.Plot, [RunLog.Read(s.Log, s.Optimizer)], new PlotOptions { Title = Path.GetFileNameWithoutExtension(s.Log) });
            Console.WriteLine($"plot: {s.Plot}");
        }
    }
}

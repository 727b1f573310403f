using Kfac.Serialization;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>
/// A model's weights alone (parameters and buffers, PyTorch's state-dict names) in a safetensors file: what a
/// program ships after training. For resuming training use Training.Checkpoint, which adds the optimizer state.
/// </summary>
public static class ModuleFiles
{
    /// <summary>Writes the state dict to <paramref name="path"/> atomically (a crash leaves the previous file),
    /// with optional string metadata (e.g. the standardizer's statistics, class names).</summary>
    public static void SaveWeights(this Module model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        SafeTensors.Save(path, model.StateDict(), metadata);
    }

    /// <summary>Loads weights saved by <see cref="SaveWeights"/> (or any safetensors file with the same names and
    /// shapes, e.g. from PyTorch) into <paramref name="model"/> and returns the file's metadata. Everything is
    /// checked before anything changes: names and shapes (StateDictMismatchException) and finiteness (a NaN or
    /// infinite weight raises InvalidDataException naming the file and the tensor).</summary>
    public static Dictionary<string, string> LoadWeights(this Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (tensors, metadata) = SafeTensors.Load(path);
        try
        {
            foreach (var (name, t) in tensors)
            {
                var values = t.ToDoubleArray();
                int bad = Array.FindIndex(values, v => !double.IsFinite(v));
                if (bad >= 0)
                    throw new InvalidDataException($"weights file '{path}': tensor '{name}' {t.Shape} has the non-finite value {values[bad]} at element {bad}");
            }
            model.LoadStateDict(tensors);
            return metadata;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}

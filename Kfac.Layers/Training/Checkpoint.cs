using Kfac.Layers;
using Kfac.Optim;
using Kfac.Serialization;
using Kfac.Tensors;

namespace Kfac.Training;

/// <summary>
/// A model and its optimizer's state in one safetensors file (written atomically): model tensors under
/// "model.NAME" (NAME as in Module.StateDict, i.e. PyTorch's), optimizer tensors under "optim.KEY", optimizer
/// metadata under "optim.KEY" in the header's __metadata__, plus free-form run metadata (step, epoch, ...).
/// </summary>
public static partial class Checkpoint
{
    public const string ModelPrefix = "model.";
    public const string OptimizerPrefix = "optim.";

    public static void Save(string path, Module model, OptimizerStateDict? optimizer, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in model.StateDict()) tensors[ModelPrefix + name] = t;
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (optimizer is not null)
        {
            foreach (var (k, t) in optimizer.Tensors) tensors[OptimizerPrefix + k] = t;
            foreach (var (k, v) in optimizer.Metadata) meta[OptimizerPrefix + k] = v;
        }
        if (metadata is not null)
            foreach (var (k, v) in metadata)
            {
                if (k.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                    throw new ArgumentException($"run metadata key '{k}' uses the reserved prefix '{OptimizerPrefix}'", nameof(metadata));
                meta[k] = v;
            }
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>The file's parts: model state dict, optimizer state, run metadata.</summary>
    public sealed class Contents(Dictionary<string, Tensor> model, OptimizerStateDict optimizer, Dictionary<string, string> metadata) : IDisposable
    {
        public Dictionary<string, Tensor> Model { get; } = model;

        public OptimizerStateDict Optimizer { get; } = optimizer;

        public Dictionary<string, string> Metadata { get; } = metadata;

        public void Dispose()
        {
            foreach (var t in Model.Values) t.Dispose();
            Optimizer.Dispose();
        }
    }

    public static Contents Load(string path)
    {
        var (tensors, meta) = SafeTensors.Load(path);
        var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var optTensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in tensors)
        {
            if (k.StartsWith(ModelPrefix, StringComparison.Ordinal)) model[k[ModelPrefix.Length..]] = t;
            else if (k.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optTensors[k[OptimizerPrefix.Length..]] = t;
            else throw new InvalidDataException($"checkpoint '{path}': tensor '{k}' is neither 'model.*' nor 'optim.*'");
        }
        var optMeta = new Dictionary<string, string>(StringComparer.Ordinal);
        var runMeta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in meta)
        {
            if (k.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optMeta[k[OptimizerPrefix.Length..]] = v;
            else runMeta[k] = v;
        }
        return new Contents(model, new OptimizerStateDict(optTensors, optMeta), runMeta);
    }
}

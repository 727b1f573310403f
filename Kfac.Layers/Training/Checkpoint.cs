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
    /// <summary>The prefix of model tensors in the file.</summary>
    public const string ModelPrefix = "model.";
    /// <summary>The prefix of optimizer tensors and metadata in the file.</summary>
    public const string OptimizerPrefix = "optim.";

    /// <summary>Writes <paramref name="model"/>'s state dict, the <paramref name="optimizer"/> state (if any) and the run
    /// <paramref name="metadata"/> (keys must not start with "optim.") to <paramref name="path"/>, atomically.</summary>
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
        /// <summary>The model's tensors by state-dict name (without the prefix).</summary>
        public Dictionary<string, Tensor> Model { get; } = model;

        /// <summary>The optimizer's state (without the prefix).</summary>
        public OptimizerStateDict Optimizer { get; } = optimizer;

        /// <summary>The run metadata (step, epoch, batch, ...).</summary>
        public Dictionary<string, string> Metadata { get; } = metadata;

        /// <summary>Returns the tensors' buffers.</summary>
        public void Dispose()
        {
            foreach (var t in Model.Values) t.Dispose();
            Optimizer.Dispose();
        }
    }

    /// <summary>Reads the parts of <paramref name="path"/> without validating their values or applying them; resuming should use
    /// <see cref="Restore"/>, which validates first.</summary>
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

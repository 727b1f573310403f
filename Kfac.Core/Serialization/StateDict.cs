using Kfac.Tensors;

namespace Kfac.Serialization;

/// <summary>Loading named tensors (a checkpoint) into a model's existing tensors (parameters, buffers,
/// optimizer state), in the manner of PyTorch's <c>load_state_dict</c>.</summary>
public static class StateDict
{
    /// <summary>
    /// Copies each source tensor's values into the destination tensor of the same name. Everything is
    /// validated before anything is copied, so a failure leaves the model as it was: with
    /// <paramref name="strict"/>, every destination key must be in the source and vice versa; in any mode,
    /// the shapes of the tensors copied must be equal. Problems raise <see cref="StateDictMismatchException"/>
    /// listing all of them. Float64 and float32 convert into the destination's dtype. Non-strict loading
    /// copies the keys the two have in common and returns their names.
    /// </summary>
    public static IReadOnlyList<string> CopyInto(IReadOnlyDictionary<string, Tensor> destination, IReadOnlyDictionary<string, Tensor> source, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(source);

        var missing = new List<string>();
        var shapeMismatches = new List<(string, Shape, Shape)>();
        var common = new List<string>();
        foreach (var (name, target) in destination.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            ArgumentNullException.ThrowIfNull(target, $"destination['{name}']");
            if (!source.TryGetValue(name, out var value))
            {
                missing.Add(name);
                continue;
            }
            ArgumentNullException.ThrowIfNull(value, $"source['{name}']");
            if (value.Shape != target.Shape) shapeMismatches.Add((name, value.Shape, target.Shape));
            else common.Add(name);
        }
        var unexpected = source.Keys.Where(k => !destination.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (!strict)
        {
            missing.Clear();
            unexpected.Clear();
        }
        if (missing.Count > 0 || unexpected.Count > 0 || shapeMismatches.Count > 0)
            throw new StateDictMismatchException(missing, unexpected, shapeMismatches, nameof(source));

        foreach (string name in common) CopyValues(source[name], destination[name]);
        return common;
    }

    /// <summary>Copies values between tensors of equal shape, converting the dtype if needed. Goes through
    /// the host when either tensor is elsewhere (checkpoints are loaded to the CPU).</summary>
    private static void CopyValues(Tensor from, Tensor to)
    {
        if (from.DType == to.DType && from.Device.Equals(to.Device))
        {
            to.CopyFrom(from);
            return;
        }
        bool onHost = from.Device.Equals(Device.Cpu);
        switch (from.DType, to.DType)
        {
            case (DType.Float32, DType.Float32):
                to.CopyFrom<float>(onHost ? from.AsSpan<float>() : from.ToArray<float>());
                break;
            case (DType.Float64, DType.Float64):
                to.CopyFrom<double>(onHost ? from.AsSpan<double>() : from.ToArray<double>());
                break;
            case (DType.Float64, DType.Float32):
                ReadOnlySpan<double> d = onHost ? from.AsSpan<double>() : from.ToArray<double>();
                var narrowed = new float[d.Length];
                for (int i = 0; i < d.Length; i++) narrowed[i] = (float)d[i];
                to.CopyFrom<float>(narrowed);
                break;
            default:
                to.CopyFrom<double>(from.ToDoubleArray());
                break;
        }
    }
}

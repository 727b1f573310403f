using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Kfac.Tensors;

namespace Kfac.Serialization;

/// <summary>
/// Reads and writes the safetensors format (https://huggingface.co/docs/safetensors), which PyTorch,
/// JAX and the Hugging Face tools read: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// describing each tensor (dtype, shape, byte offsets into the data section) plus optional string
/// metadata, then the tensors' bytes, little-endian and row-major, back to back in offset order.
/// Kfac writes and reads F32 and F64.
/// </summary>
public static class SafeTensors
{
    /// <summary>Writes <paramref name="tensors"/> (and optional string <paramref name="metadata"/>) to
    /// <paramref name="path"/> atomically: a crash leaves the previous file intact. Tensors are stored in
    /// ordinal name order, so equal inputs give byte-identical files.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var plan = Plan(tensors, path);
        var header = SafeTensorsHeader.Build(plan, metadata);
        AtomicFile.Write(path, stream => WriteFile(stream, header, plan, tensors));
    }

    /// <summary>Like <see cref="Save"/> but to a stream (not atomic).</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var plan = Plan(tensors, "(stream)");
        WriteFile(stream, SafeTensorsHeader.Build(plan, metadata), plan, tensors);
    }

    /// <summary>Reads every tensor and the metadata of a safetensors file, validating it strictly (header
    /// length, JSON structure, dtypes, sizes, offsets in range and tiling the data section). Errors are
    /// <see cref="InvalidDataException"/>s naming the file and the tensor. The tensors are CPU tensors named
    /// after their keys, created outside any <see cref="TensorScope"/> (a checkpoint outlives a step).</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"safetensors file '{path}' does not exist", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Like <see cref="Load"/> from a seekable stream holding exactly one file from its current position.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException("safetensors reading needs a seekable stream (to check the file length first)", nameof(stream));
        long fileLength = stream.Length - stream.Position;
        if (fileLength < 8)
            throw SafeTensorsHeader.Invalid(source, $"{fileLength} bytes is too short for the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > SafeTensorsHeader.MaxHeaderBytes)
            throw SafeTensorsHeader.Invalid(source, $"header length {headerLength} is over the {SafeTensorsHeader.MaxHeaderBytes}-byte limit (not a safetensors file, or corrupt)");
        if ((long)headerLength > fileLength - 8)
            throw SafeTensorsHeader.Invalid(source, $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");
        if (headerLength < 2)
            throw SafeTensorsHeader.Invalid(source, $"header length {headerLength} cannot hold a JSON object");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - 8 - (long)headerLength;
        var (entries, metadata) = SafeTensorsHeader.Parse(header, dataLength, source);

        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        try
        {
            using (TensorScope.Suspend())
            {
                foreach (var entry in entries) // offset order: one sequential pass over the data section
                {
                    var tensor = Tensor.Empty(entry.Shape, entry.DType);
                    tensor.Name = entry.Name;
                    tensors.Add(entry.Name, tensor);
                    var bytes = ElementBytes(tensor);
                    stream.ReadExactly(bytes);
                    if (!BitConverter.IsLittleEndian) SwapElements(tensor);
                }
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    /// <summary>Entries in ordinal name order with consecutive offsets.</summary>
    private static List<SafeTensorsEntry> Plan(IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        var plan = new List<SafeTensorsEntry>(tensors.Count);
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(name) || name == SafeTensorsHeader.MetadataKey)
                throw new ArgumentException($"cannot save a tensor named '{name}' to '{path}' ('{SafeTensorsHeader.MetadataKey}' and the empty name are reserved)", nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor, $"tensors['{name}']");
            long size = (long)tensor.Numel * tensor.DType.SizeInBytes();
            plan.Add(new SafeTensorsEntry(name, tensor.DType, tensor.Shape, offset, offset + size));
            offset += size;
        }
        return plan;
    }

    private static void WriteFile(Stream stream, byte[] header, List<SafeTensorsEntry> plan, IReadOnlyDictionary<string, Tensor> tensors)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var entry in plan)
        {
            var tensor = tensors[entry.Name];
            if (tensor.Device.Equals(Device.Cpu) && BitConverter.IsLittleEndian)
            {
                stream.Write(ElementBytes(tensor));
                continue;
            }
            // Off-host or big-endian: go through a host copy in file byte order.
            using var copy = tensor.To(tensor.DType, Device.Cpu);
            if (!BitConverter.IsLittleEndian) SwapElements(copy);
            stream.Write(ElementBytes(copy));
        }
    }

    private static Span<byte> ElementBytes(Tensor t) => t.DType == DType.Float32
        ? MemoryMarshal.AsBytes(t.AsSpan<float>())
        : MemoryMarshal.AsBytes(t.AsSpan<double>());

    private static void SwapElements(Tensor t)
    {
        if (t.DType == DType.Float32)
        {
            var v = MemoryMarshal.Cast<float, int>(t.AsSpan<float>());
            BinaryPrimitives.ReverseEndianness(v, v);
        }
        else
        {
            var v = MemoryMarshal.Cast<double, long>(t.AsSpan<double>());
            BinaryPrimitives.ReverseEndianness(v, v);
        }
    }
}

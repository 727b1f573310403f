using System.Buffers.Binary;
using System.IO.Compression;
using Kfac.Serialization;

namespace Kfac.Data;

public sealed partial class IdxFile
{
    /// <summary>Writes this file in IDX format to <paramref name="path"/> (atomically), gzip-compressed if
    /// <paramref name="gzip"/>.</summary>
    public void Write(string path, bool gzip)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, stream => Write(stream, gzip));
    }

    /// <summary>Writes this file in IDX format to <paramref name="stream"/>, gzip-compressed if
    /// <paramref name="gzip"/> (best compression, so regenerated embedded data stays small and stable).</summary>
    public void Write(Stream stream, bool gzip)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (gzip)
        {
            using var compressed = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true);
            WriteUncompressed(compressed);
        }
        else
        {
            WriteUncompressed(stream);
        }
    }

    private void WriteUncompressed(Stream stream)
    {
        var header = new byte[4 + 4 * _dimensions.Length];
        header[2] = (byte)ElementType;
        header[3] = (byte)_dimensions.Length;
        for (int i = 0; i < _dimensions.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), _dimensions[i]);
        stream.Write(header);

        if (!BitConverter.IsLittleEndian || ElementType.SizeInBytes() == 1)
        {
            stream.Write(DataBytes());
            return;
        }
        // Swap a copy, not the caller's data, to big-endian.
        var copy = new IdxFile(ElementType, _dimensions, (Array)Data.Clone(), Source);
        ReverseToMachineOrder(copy);
        stream.Write(copy.DataBytes());
    }
}

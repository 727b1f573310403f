using System.IO.Compression;

namespace Kfac.Data;

/// <summary>Recognises gzip data by its magic bytes (1f 8b), not by the file name: the Debian dataset
/// packages ship .gz files, other copies are often decompressed but keep their names, or the reverse.</summary>
internal static class GzipDetection
{
    public static bool StartsWithGzipMagic(ReadOnlySpan<byte> prefix) => prefix.Length >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b;

    /// <summary>Returns a stream of the decompressed contents if <paramref name="stream"/> is gzip, else the
    /// stream itself, positioned at its start. Non-seekable streams are buffered in memory first.</summary>
    public static Stream OpenPossiblyCompressed(Stream stream)
    {
        if (!stream.CanSeek)
        {
            var buffered = new MemoryStream();
            stream.CopyTo(buffered);
            buffered.Position = 0;
            stream = buffered;
        }
        long start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        return read == 2 && StartsWithGzipMagic(magic) ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
    }
}

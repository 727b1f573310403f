using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Kfac.Data;

public sealed partial class IdxFile
{
    /// <summary>Reads an IDX file, gzip-compressed or not (detected from the contents). Any problem with the
    /// contents raises <see cref="InvalidDataException"/> naming the file and what is wrong.</summary>
    public static IdxFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file '{path}' does not exist", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Reads an IDX file from <paramref name="stream"/> (to its end); <paramref name="source"/> names
    /// it in error messages.</summary>
    public static IdxFile Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        var content = GzipDetection.OpenPossiblyCompressed(stream);
        try
        {
            return ReadUncompressed(content, source);
        }
        finally
        {
            if (!ReferenceEquals(content, stream)) content.Dispose();
        }
    }

    private static IdxFile ReadUncompressed(Stream stream, string source)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = ReadBlock(stream, magic, source);
        if (got < 4)
            throw Invalid(source, $"truncated: {got} bytes, shorter than the 4-byte magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw Invalid(source, $"bad magic number {Convert.ToHexString(magic)}: an IDX file starts with 00 00, then the type code and the number of dimensions");
        var type = (IdxElementType)magic[2];
        if (!type.IsDefined())
            throw Invalid(source, $"unknown element type code 0x{magic[2]:X2} (expected 08 ubyte, 09 sbyte, 0B int16, 0C int32, 0D float32 or 0E float64)");
        int rank = magic[3];
        if (rank == 0)
            throw Invalid(source, "the header declares 0 dimensions");

        var sizeBytes = new byte[4 * rank];
        got = ReadBlock(stream, sizeBytes, source);
        if (got < sizeBytes.Length)
            throw Invalid(source, $"truncated header: {rank} dimensions need {sizeBytes.Length} bytes of sizes, file has {got}");
        var dims = new int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(sizeBytes.AsSpan(4 * i));
            if (d > int.MaxValue)
                throw Invalid(source, $"dimension {i} is {d}, more than {int.MaxValue}");
            dims[i] = (int)d;
            elements *= d;
            if (elements > Array.MaxLength)
                throw Invalid(source, $"header declares {FormatDimensions(dims[..(i + 1)])}... elements, more than an array can hold ({Array.MaxLength})");
        }

        // The payload is read into one array and viewed as one byte span: its size in bytes must fit an array
        // (2^28 float64 elements already make 2^31 bytes, which overflowed the span before this check).
        long declaredBytes = elements * type.SizeInBytes();
        if (declaredBytes > Array.MaxLength)
            throw Invalid(source, $"header declares {Describe(dims, type)} = {declaredBytes} bytes, more than one array can hold ({Array.MaxLength} bytes)");
        // An uncompressed file shorter than its header says is refused before allocating the payload.
        if (stream.CanSeek && stream.Length - stream.Position < declaredBytes)
            throw Invalid(source, $"truncated: header says {Describe(dims, type)} = {declaredBytes} bytes, file has {stream.Length - stream.Position} after the header");

        var data = AllocateElements(type, (int)elements);
        var file = new IdxFile(type, dims, data, source);
        var payload = file.DataBytes();
        long expectedBytes = payload.Length;
        got = ReadBlock(stream, payload, source);
        if (got < expectedBytes)
            throw Invalid(source, $"truncated: header says {Describe(dims, type)} = {expectedBytes} bytes, file has {got} after the header");
        long extra = CountRemaining(stream, source);
        if (extra > 0)
            throw Invalid(source, $"header says {Describe(dims, type)} = {expectedBytes} bytes, but the file has {extra} more bytes after them (wrong dimensions?)");

        if (BitConverter.IsLittleEndian) ReverseToMachineOrder(file);
        return file;
    }

    private static Array AllocateElements(IdxElementType type, int count) => type switch
    {
        IdxElementType.UInt8 => GC.AllocateUninitializedArray<byte>(count),
        IdxElementType.Int8 => GC.AllocateUninitializedArray<sbyte>(count),
        IdxElementType.Int16 => GC.AllocateUninitializedArray<short>(count),
        IdxElementType.Int32 => GC.AllocateUninitializedArray<int>(count),
        IdxElementType.Float32 => GC.AllocateUninitializedArray<float>(count),
        IdxElementType.Float64 => GC.AllocateUninitializedArray<double>(count),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Converts between big-endian (file) and little-endian (machine) order in place; the same
    /// swap serves reading and writing.</summary>
    internal static void ReverseToMachineOrder(IdxFile file)
    {
        switch (file.ElementType)
        {
            case IdxElementType.Int16:
                BinaryPrimitives.ReverseEndianness(file.GetData<short>(), file.GetData<short>());
                break;
            case IdxElementType.Int32:
                BinaryPrimitives.ReverseEndianness(file.GetData<int>(), file.GetData<int>());
                break;
            case IdxElementType.Float32:
                var f = MemoryMarshal.Cast<float, int>(file.GetData<float>().AsSpan());
                BinaryPrimitives.ReverseEndianness(f, f);
                break;
            case IdxElementType.Float64:
                var d = MemoryMarshal.Cast<double, long>(file.GetData<double>().AsSpan());
                BinaryPrimitives.ReverseEndianness(d, d);
                break;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the count read.
    /// Corrupt gzip data surfaces here as InvalidDataException from GZipStream, rethrown naming the file.</summary>
    private static int ReadBlock(Stream stream, Span<byte> buffer, string source)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(source, $"corrupt gzip data: {e.Message}", e);
        }
    }

    private static long CountRemaining(Stream stream, string source)
    {
        Span<byte> scratch = stackalloc byte[4096];
        long total = 0;
        int n;
        while ((n = ReadBlock(stream, scratch, source)) > 0) total += n;
        return total;
    }

    private static string Describe(int[] dims, IdxElementType type) =>
        FormatDimensions(dims) + (type == IdxElementType.UInt8 ? "" : $" {type} ({type.SizeInBytes()} bytes each)");

    private static InvalidDataException Invalid(string source, string what, Exception? inner = null) =>
        new($"IDX file '{source}': {what}", inner);
}

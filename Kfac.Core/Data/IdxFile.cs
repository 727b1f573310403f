using System.Runtime.InteropServices;

namespace Kfac.Data;

/// <summary>
/// The contents of an IDX file (the MNIST format): an element type, the dimensions (outermost first) and
/// the elements in row-major order, converted to the machine's byte order.
/// <para>File layout: magic <c>00 00 TT ND</c> (TT the <see cref="IdxElementType"/>, ND the number of
/// dimensions), ND big-endian uint32 sizes, then the elements big-endian. Files may be gzip-compressed.</para>
/// </summary>
public sealed partial class IdxFile
{
    private readonly int[] _dimensions;

    private IdxFile(IdxElementType elementType, int[] dimensions, Array data, string source)
    {
        ElementType = elementType;
        _dimensions = dimensions;
        Data = data;
        Source = source;
    }

    /// <summary>The element type declared in the header.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>Sizes, outermost first (for MNIST images: count, rows, columns).</summary>
    public IReadOnlyList<int> Dimensions => _dimensions;

    /// <summary>Where the file came from (a path or a resource name), for error messages.</summary>
    public string Source { get; }

    /// <summary>The elements, row-major: a byte[], sbyte[], short[], int[], float[] or double[] according to
    /// <see cref="ElementType"/>. Use <see cref="GetData{T}"/> for a typed view.</summary>
    public Array Data { get; }

    /// <summary>The size of the outermost dimension (number of items: images, labels).</summary>
    public int Count => _dimensions[0];

    /// <summary>The total number of elements.</summary>
    public long ElementCount => Data.LongLength;

    /// <summary>The elements as T[] (no copy); T must be the CLR type of <see cref="ElementType"/>.</summary>
    public T[] GetData<T>() where T : unmanaged => Data as T[]
        ?? throw new InvalidOperationException($"IDX file '{Source}' holds {ElementType} elements ({ElementType.ClrType().Name}); asked for {typeof(T).Name}");

    /// <summary>Makes an IDX file from data in memory (for writing one); checks that the element count
    /// matches the dimensions.</summary>
    public static IdxFile FromArray<T>(T[] data, params int[] dimensions) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length is 0 or > 255)
            throw new ArgumentException($"an IDX file has 1 to 255 dimensions, got {dimensions.Length}", nameof(dimensions));
        long n = 1;
        foreach (int d in dimensions)
        {
            if (d < 0)
                throw new ArgumentOutOfRangeException(nameof(dimensions), $"dimensions {FormatDimensions(dimensions)} contain a negative size");
            n *= d;
        }
        if (n != data.LongLength)
            throw new ArgumentException($"data has {data.LongLength} elements but dimensions {FormatDimensions(dimensions)} need {n}", nameof(data));
        return new IdxFile(IdxElementTypeExtensions.Of<T>(), (int[])dimensions.Clone(), data, "(memory)");
    }

    /// <summary>The payload as raw bytes in machine order (the length is ElementCount * element size).</summary>
    internal Span<byte> DataBytes() => ElementType switch
    {
        IdxElementType.UInt8 => (byte[])Data,
        IdxElementType.Int8 => MemoryMarshal.AsBytes(((sbyte[])Data).AsSpan()),
        IdxElementType.Int16 => MemoryMarshal.AsBytes(((short[])Data).AsSpan()),
        IdxElementType.Int32 => MemoryMarshal.AsBytes(((int[])Data).AsSpan()),
        IdxElementType.Float32 => MemoryMarshal.AsBytes(((float[])Data).AsSpan()),
        IdxElementType.Float64 => MemoryMarshal.AsBytes(((double[])Data).AsSpan()),
        _ => throw new InvalidOperationException($"unknown element type {ElementType}"),
    };

    internal static string FormatDimensions(IReadOnlyList<int> dimensions) => string.Join("x", dimensions);

    /// <inheritdoc/>
    public override string ToString() => $"IDX {ElementType} {FormatDimensions(_dimensions)} from {Source}";
}

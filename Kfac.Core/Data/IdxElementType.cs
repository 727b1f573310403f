namespace Kfac.Data;

/// <summary>The element type codes of the IDX format (the third byte of the magic number), as defined on
/// Yann LeCun's MNIST page. Multi-byte types are stored big-endian in the file.</summary>
public enum IdxElementType : byte
{
    /// <summary>Unsigned byte (code 08).</summary>
    UInt8 = 0x08,
    /// <summary>Signed byte (code 09).</summary>
    Int8 = 0x09,
    /// <summary>16-bit integer (code 0B).</summary>
    Int16 = 0x0B,
    /// <summary>32-bit integer (code 0C).</summary>
    Int32 = 0x0C,
    /// <summary>32-bit float (code 0D).</summary>
    Float32 = 0x0D,
    /// <summary>64-bit float (code 0E).</summary>
    Float64 = 0x0E,
}

/// <summary>Sizes and checks of <see cref="IdxElementType"/> codes.</summary>
public static class IdxElementTypeExtensions
{
    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int SizeInBytes(this IdxElementType type) => type switch
    {
        IdxElementType.UInt8 or IdxElementType.Int8 => 1,
        IdxElementType.Int16 => 2,
        IdxElementType.Int32 or IdxElementType.Float32 => 4,
        IdxElementType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an IDX element type"),
    };

    /// <summary>True for the six codes the IDX format defines.</summary>
    public static bool IsDefined(this IdxElementType type) => type is IdxElementType.UInt8 or IdxElementType.Int8
        or IdxElementType.Int16 or IdxElementType.Int32 or IdxElementType.Float32 or IdxElementType.Float64;

    /// <summary>The CLR element type that holds values of this IDX type.</summary>
    public static Type ClrType(this IdxElementType type) => type switch
    {
        IdxElementType.UInt8 => typeof(byte),
        IdxElementType.Int8 => typeof(sbyte),
        IdxElementType.Int16 => typeof(short),
        IdxElementType.Int32 => typeof(int),
        IdxElementType.Float32 => typeof(float),
        IdxElementType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an IDX element type"),
    };

    internal static IdxElementType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(byte) ? IdxElementType.UInt8
        : typeof(T) == typeof(sbyte) ? IdxElementType.Int8
        : typeof(T) == typeof(short) ? IdxElementType.Int16
        : typeof(T) == typeof(int) ? IdxElementType.Int32
        : typeof(T) == typeof(float) ? IdxElementType.Float32
        : typeof(T) == typeof(double) ? IdxElementType.Float64
        : throw new NotSupportedException($"element type {typeof(T).Name} has no IDX type code (use byte, sbyte, short, int, float or double)");
}

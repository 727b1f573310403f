namespace Kfac.Tensors;

/// <summary>Element type of a tensor. Float32 is the training type; Float64 exists for gradient checks,
/// exact-curvature oracles and anything else that needs the precision.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (4 bytes per element); the training type.</summary>
    Float32,
    /// <summary>64-bit IEEE double (8 bytes per element); for gradient checks and exact-curvature oracles.</summary>
    Float64,
}

/// <summary>Helpers on <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes per element: 4 for Float32, 8 for Float64. Throws <see cref="ArgumentOutOfRangeException"/> for an unknown value.</summary>
    public static int SizeInBytes(this DType dtype) => dtype switch
    {
        DType.Float32 => sizeof(float),
        DType.Float64 => sizeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The dtype that corresponds to the CLR element type T (float or double).</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : throw new NotSupportedException($"element type {typeof(T).Name} is not a tensor dtype (use float or double)");
}

using System.Runtime.InteropServices;

namespace Kfac.Tensors;

public sealed partial class Tensor
{
    /// <summary>A [rows, columns] tensor holding a copy of <paramref name="values"/> (a user's own feature matrix,
    /// e.g. from a CSV or another library), converted to <paramref name="dtype"/>.</summary>
    public static Tensor FromMatrix(double[,] values, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var shape = new Shape(values.GetLength(0), values.GetLength(1));
        if (values.Length == 0) return Empty(shape, dtype, device);
        return FromDoubles(MemoryMarshal.CreateReadOnlySpan(ref values[0, 0], values.Length), shape, dtype, device);
    }

    /// <summary>A float32 [rows, columns] tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromMatrix(float[,] values, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var shape = new Shape(values.GetLength(0), values.GetLength(1));
        if (values.Length == 0) return Empty(shape, DType.Float32, device);
        return FromArray(MemoryMarshal.CreateReadOnlySpan(ref values[0, 0], values.Length), shape, device);
    }

    /// <summary>A copy of a rank-2 tensor as a [rows, columns] array of doubles.</summary>
    public double[,] ToMatrix()
    {
        if (Rank != 2)
            throw new ShapeMismatchException($"ToMatrix needs a rank-2 tensor, this one has shape {Shape}", "this");
        var result = new double[Shape[0], Shape[1]];
        if (result.Length > 0) ToDoubleArray().CopyTo(MemoryMarshal.CreateSpan(ref result[0, 0], result.Length));
        return result;
    }
}

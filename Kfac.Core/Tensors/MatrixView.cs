namespace Kfac.Tensors;

/// <summary>
/// A matrix inside a tensor's elements, row-major with a row stride: element (r, c) is at
/// <c>Offset + r * Ld + c</c>. Lets a GEMM read or write a sub-block (a column range of [W | b], one column of
/// an inverse) without copying it out.
/// </summary>
public readonly record struct MatrixView(Tensor Tensor, int Offset, int Ld)
{
    /// <summary>The whole tensor as a tight matrix with <paramref name="cols"/> columns.</summary>
    public static MatrixView Of(Tensor tensor, int cols) => new(tensor, 0, cols);

    /// <summary>Throws unless a rows x cols matrix fits: Ld >= cols, Offset >= 0, and the last element inside the tensor.</summary>
    public void Check(int rows, int cols, string name, string what)
    {
        ArgumentNullException.ThrowIfNull(Tensor, name);
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(name, $"{what}: a {rows} x {cols} matrix has a negative size");
        if (rows == 0 || cols == 0) return;
        if (Offset < 0 || Ld < cols)
            throw new ArgumentException($"'{name}' (offset {Offset}, ld {Ld}) cannot hold {what}, {rows} x {cols}: need offset >= 0 and ld >= {cols}", name);
        long last = Offset + (long)(rows - 1) * Ld + cols;
        if (last > Tensor.Numel)
            throw new ArgumentException($"'{name}' has shape {Tensor.Shape} ({Tensor.Numel} elements) but {what}, {rows} x {cols} at offset {Offset} with ld {Ld}, reaches element {last}", name);
    }
}

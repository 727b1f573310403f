using System.Globalization;

namespace Kfac.Linalg;

/// <summary>
/// An input matrix (or vector) contains NaN or +-Infinity. Names the argument and the first bad entry
/// in row-major order (flat index, and row/column when the argument is a matrix).
/// </summary>
public sealed class NonFiniteMatrixException : LinalgException
{
    public string ArgumentName { get; }

    /// <summary>Flat row-major index of the first non-finite entry (row * leadingDimension + column).</summary>
    public int Index { get; }

    public int Row { get; }

    public int Column { get; }

    public double Value { get; }

    public NonFiniteMatrixException(string argumentName, int index, int row, int column, double value)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Argument '{argumentName}' contains a non-finite value ({value}) at index {index} (row {row}, column {column})."))
    {
        ArgumentName = argumentName;
        Index = index;
        Row = row;
        Column = column;
        Value = value;
    }
}

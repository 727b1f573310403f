using System.Globalization;

namespace Kfac.Linalg;

/// <summary>
/// An input matrix (or vector) contains NaN or +-Infinity. Names the argument and the first bad entry
/// in row-major order (flat index, and row/column when the argument is a matrix).
/// </summary>
public sealed class NonFiniteMatrixException : LinalgException
{
    /// <summary>The name of the argument (matrix) that holds the non-finite value.</summary>
    public string ArgumentName { get; }

    /// <summary>Flat row-major index of the first non-finite entry (row * leadingDimension + column).</summary>
    public int Index { get; }

    /// <summary>Zero-based row of the first non-finite entry.</summary>
    public int Row { get; }

    /// <summary>Zero-based column of the first non-finite entry.</summary>
    public int Column { get; }

    /// <summary>The offending value (NaN, +Infinity or -Infinity).</summary>
    public double Value { get; }

    /// <summary>Reports entry (<paramref name="row"/>, <paramref name="column"/>) = <paramref name="value"/>, at flat index <paramref name="index"/>, of argument <paramref name="argumentName"/>.</summary>
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

using System.Globalization;

namespace Kfac.Linalg;

/// <summary>A triangular matrix with an exactly zero diagonal entry was passed to a solve (LAPACK dtrtrs INFO &gt; 0).</summary>
public sealed class SingularMatrixException : LinalgException
{
    public int MatrixSize { get; }

    public int DiagonalIndex { get; }

    public SingularMatrixException(string argumentName, int matrixSize, int diagonalIndex)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"The {matrixSize}x{matrixSize} triangular matrix '{argumentName}' is singular: diagonal entry {diagonalIndex} is zero."))
    {
        MatrixSize = matrixSize;
        DiagonalIndex = diagonalIndex;
    }
}

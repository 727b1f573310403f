using System.Globalization;

namespace Kfac.Linalg;

/// <summary>A triangular matrix with an exactly zero diagonal entry was passed to a solve (LAPACK dtrtrs INFO &gt; 0).</summary>
public sealed class SingularMatrixException : LinalgException
{
    /// <summary>The order n of the n x n triangular matrix.</summary>
    public int MatrixSize { get; }

    /// <summary>Zero-based index of the zero diagonal entry.</summary>
    public int DiagonalIndex { get; }

    /// <summary>Reports that diagonal entry <paramref name="diagonalIndex"/> of the triangular matrix <paramref name="argumentName"/> (order <paramref name="matrixSize"/>) is zero.</summary>
    public SingularMatrixException(string argumentName, int matrixSize, int diagonalIndex)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"The {matrixSize}x{matrixSize} triangular matrix '{argumentName}' is singular: diagonal entry {diagonalIndex} is zero."))
    {
        MatrixSize = matrixSize;
        DiagonalIndex = diagonalIndex;
    }
}
